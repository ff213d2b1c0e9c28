"""A local HTTP server that speaks Twilio's Messages API, enough for the adapter's tests (Twilio
has no emulator): ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth
(Account SID and Auth Token), the form fields ``To``, ``From``, ``MessagingServiceSid`` and
``Body``, answering 201 with a Message resource as Twilio's JSON shapes it, or Twilio's error JSON
(``code``, ``message``, ``more_info``, ``status``).

Recipients Twilio refuses, as with Twilio's test credentials ("magic numbers"):

============== ======= =================================================
``To``         code    why
============== ======= =================================================
+15005550001   21211   not a valid phone number
+15005550002   21612   Twilio cannot route to it
+15005550003   21408   no permission to text the region
+15005550004   21610   unsubscribed (replied STOP); also ``stop(number)``
+15005550009   21614   not a mobile number (a landline)
============== ======= =================================================

Anything not in E.164 is 21211 too. ``messages`` holds every message accepted (the form, the
SID), ``requests`` every request received; ``outage = 503`` makes every answer that error.

Run it on its own (``python tests/fake_twilio.py``) to point a portal at it: it prints the
``TWILIO_*`` settings to use.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs

API_VERSION = "2010-04-01"
MESSAGES = re.compile(rf"/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
MAGIC = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}
ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    21211: (400, "Invalid 'To' Phone Number: {to}"),
    21408: (400, ("Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}")),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"),
    21604: (400, "A 'To' phone number is required."),
    21606: (
        400,
        (
            "The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code "
            "for your account."
        ),
    ),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21612: (
        400,
        ("The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {sender} via SMS."),
    ),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    21701: (400, "The Messaging Service Sid {service} is invalid."),
}

# The account the adapter's tests register (any AC/MG + 32 hex digits, and 32 hex digits, will do).
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fedcba9876543210" * 2
FROM_NUMBER = "+15555550100"
SERVICE_SID = "MG" + "89abcdef01234567" * 2


def twilio_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class FakeTwilio:
    """The server: ``with FakeTwilio() as twilio: twilio.add_account(sid, token, numbers=[...])``;
    ``twilio.url`` is its base (``http://127.0.0.1:<port>``), to give as ``api_base``."""

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}  # Account SID -> Auth Token
        self.numbers: dict[str, set[str]] = {}  # Account SID -> its phone numbers
        self.services: dict[str, set[str]] = {}  # Account SID -> its Messaging Service SIDs
        self.stopped: set[str] = set()  # recipients who replied STOP
        self.messages: list[dict[str, Any]] = []  # accepted messages, oldest first
        self.requests: list[dict[str, Any]] = []  # every request, oldest first
        self.outage: int | None = None  # answer every request with this status (500, 503, 429)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Forget every account, message, request, opt-out and outage (between tests)."""
        with self._lock:
            for kept in (self.accounts, self.numbers, self.services, self.stopped):
                kept.clear()
            self.messages.clear()
            self.requests.clear()
            self.outage = None

    def add_account(
        self,
        sid: str,
        token: str,
        *,
        numbers: tuple[str, ...] | list[str] = (),
        services: tuple[str, ...] | list[str] = (),
    ) -> None:
        with self._lock:
            self.accounts[sid] = token
            self.numbers.setdefault(sid, set()).update(numbers)
            self.services.setdefault(sid, set()).update(services)

    def stop(self, number: str) -> None:
        """``number`` replied STOP: Twilio refuses texts to it (21610) until it replies START."""
        with self._lock:
            self.stopped.add(number)

    def start_again(self, number: str) -> None:
        with self._lock:
            self.stopped.discard(number)

    def received(self, account: str | None = None) -> list[tuple[str, str]]:
        """(To, Body) of every accepted message (of one account), oldest first."""
        with self._lock:
            return [(m["to"], m["body"]) for m in self.messages if account in (None, m["account_sid"])]

    # -- the API -------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, authorization: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append({"method": method, "path": path, "authorization": authorization, "form": form})
            if self.outage:
                return self.outage, {
                    "code": 20429 if self.outage == 429 else 20500,
                    "status": self.outage,
                    "message": "Service unavailable",
                    "more_info": "https://www.twilio.com/docs/errors",
                }
            user, token = _basic(authorization)
            if user not in self.accounts or not secrets.compare_digest(self.accounts[user], token):
                return _error(20003)
            match = MESSAGES.fullmatch(path)
            if method != "POST" or match is None or match["account"] != user:
                return _error(20404, path=path)
            return self._create(user, form)

    def _create(self, account: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From", ""), form.get("MessagingServiceSid", "")
        if not to:
            return _error(21604)
        if not sender and not service:
            return _error(21603)
        if service and service not in self.services.get(account, ()):
            return _error(21701, service=service)
        if sender and sender not in self.numbers.get(account, ()):
            return _error(21606, sender=sender)
        if not body and not form.get("MediaUrl"):
            return _error(21602)
        if len(body) > 1600:
            return _error(21617)
        if not E164.fullmatch(to):
            return _error(21211, to=to)
        if to in MAGIC:
            return _error(MAGIC[to], to=to, sender=sender or service)
        if to in self.stopped:
            return _error(21610)
        now = format_datetime(datetime.now(UTC))
        sid = twilio_sid("SM")
        message = {
            "account_sid": account,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": str(max(1, -(-len(body) // 153)) if len(body) > 160 else 1),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": to,
            "uri": f"/{API_VERSION}/Accounts/{account}/Messages/{sid}.json",
        }
        self.messages.append(message)
        return 201, message


def _basic(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, token = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:
        return "", ""
    return user, token


def _error(code: int, **fields: str) -> tuple[int, dict[str, Any]]:
    status, message = ERRORS[code]
    return status, {
        "code": code,
        "message": message.format_map({"to": "", "sender": "", "service": "", "path": "", **fields}),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler(twilio: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the library's session expects

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            status, payload = twilio.answer(
                self.command, self.path.split("?", 1)[0], self.headers.get("Authorization", ""), form
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


if __name__ == "__main__":  # a server to point a local portal at
    server = FakeTwilio()
    account, token, number = twilio_sid("AC"), secrets.token_hex(16), "+15555550100"
    server.add_account(account, token, numbers=[number])
    print(
        f"TWILIO_API_BASE={server.url}\nTWILIO_ACCOUNT_SID={account}\nTWILIO_AUTH_TOKEN={token}\n"
        f"TWILIO_FROM_NUMBER={number}",
        flush=True,
    )
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        server._server.server_close()
