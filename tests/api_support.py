"""Helpers for the API tests: a client of either host's API (Flask or Django test client) that
checks every answer against the OpenAPI document (status, media type, body schema) and records
which operations were exercised; the demo portal's records by their numbers."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs
from hosts import CUSTOMER_PASSWORD, PREFIX, demo_portal, make_app
from jsonschema import Draft202012Validator

from portalkit.api import OPERATIONS, document
from portalkit.models import Invoice, Job, Property, Proposal, StaffUser

BASE = PREFIX + "/api/v1"
DOC = document(OPERATIONS, BASE)
_TEMPLATES = [
    (re.compile("^" + "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in p.split("/")) + "$"), p)
    for p in DOC["paths"]
]
EXERCISED: dict[str, set[str]] = {}  # host kind -> operationIds answered


def template_of(path: str) -> str:
    bare = path.split("?", 1)[0]
    bare = bare[len(BASE) :] if bare.startswith(BASE) else bare
    for pattern, template in _TEMPLATES:
        if pattern.match(bare):
            return template
    raise AssertionError(f"no documented path matches {path}")


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    """Errors of ``value`` against ``schema`` (its refs resolved in the document's components)."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "components": DOC["components"]}
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


@attrs.frozen
class Answer:
    status: int
    headers: dict[str, str]
    data: bytes
    content_type: str
    operation: str

    def json(self) -> Any:
        return json.loads(self.data)

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


def check_contract(method: str, path: str, answer: Answer) -> str:
    """API-1: the operation is documented, its status is one it documents, and the body matches
    the documented media type and schema; returns the operationId."""
    operation = DOC["paths"][template_of(path)].get(method.lower())
    assert operation is not None, f"{method} {path} is not in the document"
    documented = operation["responses"].get(str(answer.status))
    assert documented is not None, (
        f"{operation['operationId']} answered {answer.status}, which it does not document: {answer.data[:300]!r}"
    )
    content = documented.get("content")
    if content is None:
        assert answer.data == b"", f"{operation['operationId']} {answer.status} has a body it does not document"
        return operation["operationId"]
    media = answer.content_type.split(";")[0].strip()
    if "application/octet-stream" in content:  # any file type
        return operation["operationId"]
    assert media in content, f"{operation['operationId']} answered {media}, documented {list(content)}"
    if media in ("application/json", "application/problem+json"):
        errors = schema_errors(content[media]["schema"], json.loads(answer.data))
        assert not errors, f"{operation['operationId']} {answer.status}: {errors[:5]}"
    return operation["operationId"]


class Api:
    """One client of a host's API: ``token`` makes it a bearer client (it keeps no cookies of its
    own); without one it is a cookie client, sharing ``browser``'s cookies when given."""

    def __init__(self, app, token: str | None = None, browser=None):
        self.kind, flask_app = app
        self.token = token
        if browser is not None:
            self.client = browser.client
        elif self.kind == "flask":
            self.client = flask_app.test_client()
        else:
            from django.test import Client

            self.client = Client(enforce_csrf_checks=True)
        self.csrf = ""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict | None = None,
        files: dict | None = None,
        headers: dict | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
        check: bool = True,
    ) -> Answer:
        url = BASE + path
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query)
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        if self.csrf and method not in ("GET", "HEAD"):
            sent.setdefault("X-CSRFToken", self.csrf)
        answer = self._send(method, url, body, files, sent, raw, content_type)
        if check:
            operation = check_contract(method, url, answer)
            EXERCISED.setdefault(self.kind, set()).add(operation)
        return answer

    def _send(self, method, url, body, files, headers, raw, content_type) -> Answer:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if self.kind == "flask":
            if files is not None:
                import io

                form = {k: v for k, v in (body or {}).items()}
                for name, items in files.items():
                    form[name] = [(io.BytesIO(d), n, t) for n, d, t in items]
                r = self.client.open(url, method=method, data=form, headers=headers, content_type="multipart/form-data")
            else:
                r = self.client.open(
                    url,
                    method=method,
                    data=data,
                    headers=headers,
                    content_type=content_type if data is not None else None,
                )
            return Answer(r.status_code, dict(r.headers), r.get_data(), r.content_type or "", "")
        if files is not None:
            from django.core.files.uploadedfile import SimpleUploadedFile

            form = dict(body or {})
            for name, items in files.items():
                form[name] = [SimpleUploadedFile(n, d, t) for n, d, t in items]
            r = self.client.post(url, form, headers=headers)
        elif data is not None:
            r = self.client.generic(method, url, data, content_type=content_type, headers=headers)
        else:
            r = self.client.generic(method, url, headers=headers)
        return Answer(r.status_code, {k: v for k, v in r.items()}, r.content, r.get("Content-Type", ""), "")

    # shortcuts
    def get(self, path, **kw) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw) -> Answer:
        return self.call("POST", path, body, **kw)


def sign_in(app, email: str, password: str = CUSTOMER_PASSWORD) -> Api:
    """A bearer client of ``email`` (``POST /session``)."""
    r = Api(app).post("/session", {"email": email, "password": password})
    assert r.status == 201, r.data
    return Api(app, token=r.json()["token"])


def enrol_contact(portal, email: str, password: str = CUSTOMER_PASSWORD):
    """Invite and sign up a demo contact through the services (the pages' way is tests/hosts.py)."""
    staff = staff_of(portal)
    contact = portal.directory.contact_by_email(email)
    portal.invitations.send(staff, [contact.id])
    token = portal.invitations.link_for(portal.directory.contact(contact.id)).split("#", 1)[1]
    portal.accounts.sign_up(token, password, password)
    return portal.directory.contact(contact.id)


def staff_of(portal) -> StaffUser:
    return portal.storage.find(StaffUser)[0]


def record(portal, cls, **where):
    found = portal.storage.find(cls, **where)
    assert len(found) == 1, (cls.__name__, where, len(found))
    return found[0]


def invoice_id(portal, number: str) -> str:
    return record(portal, Invoice, number=number).id


def proposal_id(portal, number: str) -> str:
    return record(portal, Proposal, number=number).id


def job_id(portal, number: str) -> str:
    return record(portal, Job, number=number).id


def property_id(portal, name: str) -> str:
    return record(portal, Property, name=name).id


def build_host(kind: str, request, tmp_path):
    """(app, portal): a reference host serving the demo portal, on SQLite (``flask``), Django's
    database (``django``) or PostgreSQL (``flask-postgres``; skipped without one)."""
    if kind == "django":
        request.getfixturevalue("django_ready")
        from portalkit.contrib.django.storage import DjangoStorage

        storage = DjangoStorage()
        storage.truncate_all()
        portal = demo_portal(tmp_path, storage=storage)
        return make_app("django", portal), portal
    if kind == "flask-postgres":
        storage = request.getfixturevalue("pg_storage")
        storage.truncate_all()
        portal = demo_portal(tmp_path, storage=storage)
        return make_app("flask", portal), portal
    portal = demo_portal(tmp_path)
    return make_app("flask", portal), portal
