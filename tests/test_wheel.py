"""The built wheel is a library a host can install: templates, static files, mail templates and
language catalogues inside, no ``examples`` package, and the login page renders from the
installed copy, in Spanish too."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
from pathlib import Path
import portalkit
assert Path(portalkit.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), portalkit.__file__
from flask import Flask
from portalkit.testing import make_portal
from portalkit.contrib.flask import PortalKit
app = Flask(__name__); app.secret_key = "wheel-test-secret-key-0123456789"
PortalKit(app, make_portal(company_name="Wheel Test"), url_prefix="/portal")
client = app.test_client()
page = client.get("/portal/login")
assert page.status_code == 200 and b'name="csrf_token"' in page.data and b"Wheel Test" in page.data, page.data[:300]
assert client.get("/portal/static/portal.css").status_code == 200
spanish = client.get("/portal/login", headers={"Accept-Language": "es-MX,es;q=0.9"})
assert "Iniciar sesión" in spanish.get_data(as_text=True), "the Spanish catalogue is not in the wheel"
try:
    import examples
except ImportError:
    print("rendered from", portalkit.__file__)
else:
    raise AssertionError("the wheel ships an examples package")
"""


def test_wheel_installs_and_renders_the_login_page(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    [wheel] = dist.glob("fieldportalkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("examples/")]
    for needed in (
        "portalkit/web/templates/login.html",
        "portalkit/web/static/portal.css",
        "portalkit/mail_templates/payment_receipt.html",
        "portalkit/py.typed",
        "portalkit/contrib/django/migrations/0001_initial.py",
        "portalkit/adapters/migrations/versions/0003_login_sessions.py",
        "portalkit/locale/portalkit.pot",
        "portalkit/locale/en/LC_MESSAGES/portalkit.po",
        "portalkit/locale/es/LC_MESSAGES/portalkit.po",
    ):
        assert needed in names, needed
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, system_site_packages=True)  # dependencies from this interpreter
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )
    done = subprocess.run([str(python), "-c", SCRIPT], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(env_dir) in done.stdout
