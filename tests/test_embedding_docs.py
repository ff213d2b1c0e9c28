"""docs/embedding-flask.md and docs/embedding-django.md work exactly as written (issue 11)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_python_block(page: str) -> str:
    return re.search(r"```python\n(.*?)```", (ROOT / "docs" / page).read_text(), re.S).group(1)


def test_flask_mounting_as_written_in_at_most_ten_lines():
    code = first_python_block("embedding-flask.md")
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    namespace: dict = {"__name__": "__main__"}  # as if it were the host's own app.py
    exec(compile(code, "embedding-flask.md", "exec"), namespace)
    app = namespace["app"]

    @app.get("/")
    def own_page():
        return "the host's own page"

    client = app.test_client()
    page = client.get("/portal/login")
    assert page.status_code == 200 and b'name="csrf_token"' in page.data
    assert client.post("/portal/login", data={"email": "a@b.co", "password": "x"}).status_code == 400
    assert client.get("/").data == b"the host's own page"


DJANGO_PROJECT = """
SECRET_KEY = "docs-test-secret-key-0123456789-abcdef"
DEBUG = True
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "docs_urls"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "docs.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""

DJANGO_CHECK = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("check")
from django.test import Client
client = Client(enforce_csrf_checks=True)
page = client.get("/portal/login")
assert page.status_code == 200 and b'name="csrfmiddlewaretoken"' in page.content, page.status_code
assert client.post("/portal/login", {"email": "a@b.co", "password": "x"}).status_code == 403
from django.contrib.auth.models import Permission
from portalkit import Permission as PortalPermission
assert Permission.objects.filter(content_type__app_label="portalkit").count() == len(PortalPermission)
print("ok")
"""


def test_django_mounting_as_written_in_at_most_ten_lines(tmp_path):
    code = first_python_block("embedding-django.md")
    assert len([line for line in code.splitlines() if line.strip() and not line.startswith("#")]) <= 10
    settings_part, urls_part = code.split("# urls.py")
    (tmp_path / "docs_settings.py").write_text(DJANGO_PROJECT + settings_part)
    (tmp_path / "docs_urls.py").write_text("urlpatterns = []\n" + urls_part)
    (tmp_path / "check.py").write_text(textwrap.dedent(DJANGO_CHECK))
    done = subprocess.run(
        [sys.executable, "check.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "docs_settings", "PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr
