"""The reference deployment (docs/deploy.md), started as production starts it: the Flask host
under gunicorn on PostgreSQL, behind a proxy that terminates HTTPS, with the plain worker
delivering mail; one customer journey against it over real HTTP — staff invite, the worker
mails the link, the customer signs up from it and sees their invoices."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "staff-deploy-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A browser behind the HTTPS proxy: keeps cookies (Secure ones too: the proxy's side is
    https) and sends the proxy's X-Forwarded-Proto, as nginx would."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
            "Host": "portal.example.test",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), response.read().decode()

    def form(self, path: str, fields: dict, page: str | None = None) -> tuple[int, dict, str]:
        _, _, html = self.request("GET", page or path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, html[-1500:]
        token = found.group(1)
        return self.request("POST", path, {"csrf_token": token, **fields})


def mailed_link(folder: Path, address: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in message["To"]:
                found = re.search(r"https?://\S+/signup#[\w.\-]+", message.get_body(("plain",)).get_content())
                if found:
                    return found.group(0)
        time.sleep(0.3)
    mailed = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]
    raise AssertionError(
        f"the worker mailed nothing to {address} in {seconds}s; it mailed: "
        + "; ".join(f"{m['To']}: {m['Subject']}" for m in mailed)
    )


def test_deploy_flask_under_gunicorn_on_postgres_with_its_worker(pg_storage, tmp_path):
    pg_storage.truncate_all()
    port = free_port()
    env = {
        **os.environ,
        "PORTALKIT_DB_URL": pg_storage.url,
        "PORTALKIT_INSTANCE": str(tmp_path),
        "PORTALKIT_SECRET_KEY": "deploy-secret-" + "x" * 32,
        "PORTALKIT_BASE_URL": "https://portal.example.test/portal",
        "PORTALKIT_BCRYPT_ROUNDS": "4",
        "PORTALKIT_STAFF_PASSWORD": PASSWORD,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("STRIPE_API_KEY", None)
    seeded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.environ['PORTALKIT_SEED'] = '1';"
            "from examples.common.host import production_portal; production_portal()",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    config = ROOT / "examples" / "deploy" / "flask" / "gunicorn.conf.py"
    gunicorn = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    if config.exists():
        gunicorn[3:3] = ["-c", str(config)]
    web = subprocess.Popen(
        gunicorn + ["examples.flask_host.wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portalkit.worker",
            "--factory",
            "examples.common.host:production_portal",
            "--interval",
            "0.5",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        staff, customer = Client(port), Client(port)
        for _ in range(100):
            try:
                if staff.request("GET", "/portal/staff/login")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, headers, _ = staff.form(
            "/portal/staff/login", {"email": "manager@greenacres.example", "password": PASSWORD}
        )
        assert status == 303, "staff login under gunicorn"
        _, _, contacts = staff.request("GET", "/portal/staff")
        row = re.search(r'<tr[^>]*data-email="alice@example.com".*?</tr>', contacts, re.S)
        assert row, "Alice's row on the staff contacts page"
        alice = re.search(r'name="contact" value="(\w+)"', row.group(0))
        status, _, _ = staff.form("/portal/staff/invitations", {"contact": [alice.group(1)]}, page="/portal/staff")
        assert status == 303
        link = mailed_link(tmp_path / "mail", "alice@example.com")  # delivered by the worker, not the web
        parts = urlsplit(link)
        status, _, page = customer.request("GET", parts.path)
        assert status == 200 and 'id="link-form"' in page  # the token is after "#": never in a request line
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, headers, answer = customer.request(
            "POST", parts.path, {"csrf_token": token, "link_token": parts.fragment}
        )
        assert status == 303, answer[-1500:]
        status, headers, _ = customer.form("/portal/signup", {"password": "garden-2026", "confirm": "garden-2026"})
        assert status in (200, 303)
        if status == 200 or not headers.get("Location", "").endswith("/dashboard"):
            customer.form("/portal/login", {"email": "alice@example.com", "password": "garden-2026"})
        status, headers, dashboard = customer.request("GET", "/portal/dashboard")
        assert status == 200 and "INV-1001" in dashboard
        assert (
            "Strict-Transport-Security" in headers
            or "strict-transport-security" in {k.lower() for k in headers}
            or not config.exists()
        )
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        web_err = web.stderr.read() if web.stderr else ""
        print("gunicorn:", web_err[-4000:], "\nworker:", worker.stderr.read()[-2000:] if worker.stderr else "")
    assert "Traceback" not in web_err, web_err[-3000:]
