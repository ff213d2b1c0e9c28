"""Shared helpers for the reference-host tests: both integrations mounted at /portal, driven
through their frameworks' test clients like a browser would (cookies, CSRF fields, redirects)."""

from __future__ import annotations

import io
import os
import re
import tempfile
from urllib.parse import urlparse

import attrs

os.environ.setdefault("PORTALKIT_INSTANCE", tempfile.mkdtemp(prefix="portalkit-hosts-"))  # before examples load

from storages import sqlite_storage

from examples.common.host import STAFF_EMAIL, build_portal

SECRET = "host-test-secret-0123456789abcdef"
STAFF_PASSWORD = "staff-pass-0123"
CUSTOMER_PASSWORD = "garden-2026"
PREFIX = "/portal"
_CSRF = re.compile(r'name="(csrf_token|csrfmiddlewaretoken)" value="([^"]+)"')
_CURRENT: dict[str, object] = {}


def demo_portal(tmp_path, base_url="http://localhost/portal", storage=None):
    storage = sqlite_storage(tmp_path / "host.sqlite3") if storage is None else storage
    return build_portal(base_url=base_url, secret=SECRET, bcrypt_rounds=4, storage=storage)


def current_portal():
    """``PORTALKIT["PORTAL"]`` for the Django tests: the portal the running test built."""
    return _CURRENT["portal"]


def use_portal_in_django(portal) -> None:
    from django.conf import settings

    from portalkit.contrib.django.conf import reset_portal

    _CURRENT["portal"] = portal
    settings.PORTALKIT = {"PORTAL": "hosts.current_portal"}
    reset_portal()


def csrf_of(html: str) -> tuple[str, str]:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1), match.group(2)


def link_in_mail(portal, email: str, kind: str = "signup") -> str:
    mail = [m for m in portal.mailer.mails if email in m.to][-1]
    return re.search(rf"https?://[^\s\"<)#]+/{kind}#[\w.\-]+", mail.text).group(0)


@attrs.frozen
class File:
    name: str
    data: bytes
    type: str


@attrs.frozen
class Page:
    status_code: int
    data: bytes
    headers: dict
    content_type: str

    def get_data(self, as_text=False):
        return self.data.decode() if as_text else self.data

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


def _convert(data: dict, one) -> dict:
    return {k: [one(x) for x in v] if isinstance(v, list) else one(v) for k, v in data.items()}


class Browser:
    """One visitor of a host (Flask or Django test client) that carries cookies and the CSRF field
    like a page would. Paths are relative to the portal's mount point."""

    def __init__(self, app):
        self.kind, flask_app = app
        if self.kind == "flask":
            self.client = flask_app.test_client()
        else:
            from django.test import Client

            self.client = Client(enforce_csrf_checks=True)

    def _page(self, r) -> Page:
        if self.kind == "flask":
            return Page(r.status_code, r.get_data(), dict(r.headers), r.content_type)
        return Page(r.status_code, r.content, dict(r.headers), r["Content-Type"])

    @staticmethod
    def _path(path: str) -> str:
        return path if path.startswith(PREFIX) else PREFIX + path

    def get(self, path, headers=None):
        if self.kind == "flask":
            return self._page(self.client.get(self._path(path), headers=headers or {}))
        extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in (headers or {}).items()}
        return self._page(self.client.get(self._path(path), **extra))

    def raw_post(self, path, data):
        if self.kind == "flask":
            data = _convert(data, lambda v: (io.BytesIO(v.data), v.name, v.type) if isinstance(v, File) else v)
            return self._page(self.client.post(self._path(path), data=data))
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = _convert(data, lambda v: SimpleUploadedFile(v.name, v.data, v.type) if isinstance(v, File) else v)
        return self._page(self.client.post(self._path(path), data))

    def host_post(self, path, data):
        """A form posted to the host's own page at ``path`` (outside the portal's prefix)."""
        if self.kind == "flask":
            return self._page(self.client.post(path, data=data))
        return self._page(self.client.post(path, data))

    def post(self, path, data=None, page=None):
        name, token = csrf_of(self.get(page or path).get_data(as_text=True))
        return self.raw_post(path, {name: token, **(data or {})})

    def open_link(self, link: str) -> Page:
        """Follow a mailed link as a browser does: the page (its URL has no token: the token is
        after "#", which browsers never send), whose script posts the token."""
        parts = urlparse(link)
        path = parts.path if parts.path.startswith(PREFIX) else PREFIX + parts.path
        page = self.get(path)
        assert page.status_code == 200 and 'id="link-form"' in page.get_data(as_text=True), page.status_code
        name, token = csrf_of(page.get_data(as_text=True))
        return self.raw_post(path, {name: token, "link_token": parts.fragment})

    def session_cookie(self) -> str | None:
        if self.kind == "flask":
            cookie = self.client.get_cookie("session")
            return cookie.value if cookie else None
        cookie = self.client.cookies.get("portal_session")
        return cookie.value if cookie else None

    def clone(self, app) -> Browser:
        """Another browser holding a copy of this one's cookies (a stolen cookie jar)."""
        other = Browser(app)
        if self.kind == "flask":
            for cookie in self.client._cookies.values():
                other.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        else:
            other.client.cookies.load({k: v.value for k, v in self.client.cookies.items()})
        return other


def make_app(kind: str, portal, *, secure_cookies: bool = False):
    if kind == "flask":
        from examples.flask_host import create_app
        from examples.flask_host.staff import StaffAccounts
        from portalkit import Permission

        staff = StaffAccounts(rounds=4)
        staff.add(STAFF_EMAIL, "Morgan Manager", STAFF_PASSWORD, set(Permission))
        return "flask", create_app(portal, staff=staff, secure_cookies=secure_cookies)
    use_portal_in_django(portal)
    return "django", None


def add_staff_user(app, email: str, permissions=(), role=None) -> None:
    """A host staff user with their own password and only ``permissions``, or a default ``role``
    (in Django: membership of the role's group, as an administrator gives it in the admin)."""
    kind, flask_app = app
    if kind == "flask":
        flask_app.extensions["staff_accounts"].add(email, "Casey Clerk", STAFF_PASSWORD, permissions, role=role)
        return
    from django.contrib.auth.models import Group, User
    from django.contrib.auth.models import Permission as DjangoPermission

    from portalkit.contrib.django.apps import role_group_name

    user, _ = User.objects.get_or_create(username=email, defaults={"email": email, "is_staff": True})
    user.set_password(STAFF_PASSWORD)
    user.save()
    user.user_permissions.set(
        DjangoPermission.objects.filter(
            content_type__app_label="portalkit", codename__in=[p.value for p in permissions]
        )
    )
    user.groups.set([Group.objects.get(name=role_group_name(role))] if role is not None else [])


def path_of(link: str) -> str:
    return urlparse(link).path
