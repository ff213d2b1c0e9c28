"""portalkit for Flask: the portal's pages as a blueprint, on Flask's own session and Flask-WTF's
CSRF protection, with the host's staff users::

    app = Flask(__name__); app.secret_key = ...
    PortalKit(app, portal, url_prefix="/portal", staff_authenticator=check_staff)

``staff_authenticator(email, password)`` returns the host's user as a ``portalkit.StaffUser``
(its permissions mapped from the host's roles) or ``None``; portalkit's staff login page calls
it, throttled. ``staff_user(staff_id)`` returns that user again by its id, or ``None`` once the
host removed it: staff sessions are kept on the server (``portal.staff_sessions``; the cookie
holds only a random id) for ``staff_session_hours``, and the user and its permissions are loaded
with ``staff_user`` on every request, so logging out ends every copy of the cookie and a user
the host removed or demoted loses access at once. A host that already signs staff in
(Flask-Login) passes ``staff_loader()`` returning the current user as a ``StaffUser`` instead,
and ``staff_login_url``, where a staff member who is not signed in is sent (with ``next``).
``current_contact`` is the logged-in customer of this request, or None; ``current_staff()`` the
signed-in staff user (for a host's own staff pages beside the portal's), or None.

Each page takes a request body of at most its route's limit (``PortalWeb.body_limit``: small
forms before sign-in, the upload pages their files' limits once signed in): a ``before_request``
sets Flask's per-request ``request.max_content_length`` (Flask >= 3.1) and answers a larger
Content-Length with 413, and a body streamed without one (``Transfer-Encoding: chunked``) with
411, before anything reads the body.
``frame_ancestors`` (``"'none'"``) is who may frame the pages (CSP ``frame-ancestors``, with
``X-Frame-Options`` to match).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import Markup
from werkzeug.exceptions import LengthRequired, RequestEntityTooLarge
from werkzeug.local import LocalProxy
from wtforms.validators import ValidationError as CsrfInvalid

from ..._core.files import Upload
from ...errors import ConfigurationError, PortalError
from ...models import Contact, StaffUser
from ...portal import Portal
from ...web import ROUTES, FileResponse, PageRequest, PortalWeb, Redirect, Reply, Result
from ...web.customer import TOKEN
from ...web.routes import SMALL_BODY, WEBHOOKS
from .api import mount_api

__all__ = ["PortalKit", "current_contact"]

STAFF_KEY = "portalkit_staff_session"  # the id of a server-side StaffSession, nothing else


class PortalKit:
    """The Flask extension (``init_app`` style, like Flask-Login)."""

    def __init__(
        self,
        app: Flask | None = None,
        portal: Portal | None = None,
        *,
        url_prefix: str = "/portal",
        name: str = "portalkit",
        staff_authenticator: Callable[[str, str], StaffUser | None] | None = None,
        staff_user: Callable[[str], StaffUser | None] | None = None,
        staff_loader: Callable[[], StaffUser | None] | None = None,
        staff_login_url: str | None = None,
        staff_session_hours: float = 8.0,
        frame_ancestors: str = "'none'",
    ):
        if staff_authenticator is not None and staff_user is None:
            raise ConfigurationError(
                "PortalKit(staff_authenticator=...) also needs staff_user(staff_id): the host's "
                "user by its id, so each request loads its current permissions "
                "(docs/embedding-flask.md)"
            )
        if staff_authenticator is not None and staff_loader is not None:
            raise ConfigurationError("Pass staff_authenticator and staff_user, or staff_loader, not both")
        self.portal = portal
        self.frame_ancestors = frame_ancestors
        self.url_prefix, self.name = url_prefix.rstrip("/"), name
        self.staff_authenticator, self.staff_user, self.staff_loader = staff_authenticator, staff_user, staff_loader
        self.staff_login_url = staff_login_url
        self.staff_session = timedelta(hours=staff_session_hours)
        self.web: PortalWeb | None = None
        if app is not None:
            self.init_app(app, portal)

    def init_app(self, app: Flask, portal: Portal | None = None) -> None:
        self.portal = portal or self.portal
        if self.portal is None:
            raise RuntimeError("PortalKit needs a portalkit.Portal: PortalKit(app, portal) or init_app(app, portal)")
        if not app.secret_key:
            raise RuntimeError("PortalKit keeps its state in Flask's session: set app.secret_key first")
        folders = [os.path.join(app.root_path, app.template_folder)] if app.template_folder else []
        self.web = PortalWeb(
            self.portal,
            host_template_dirs=folders,
            staff_signin=self._staff_signin,
            staff_signout=self._staff_signout,
            frame_ancestors=self.frame_ancestors,
        )
        blueprint = Blueprint(self.name, __name__, url_prefix=self.url_prefix or None)
        for route in ROUTES:
            blueprint.add_url_rule("/" + route.path, route.endpoint, self._view, methods=list(route.methods))
        blueprint.before_request(self._limit_body)  # first: before CSRF's check reads the form
        blueprint.before_request(self._check_csrf)
        blueprint.after_request(self._secure)
        app.register_blueprint(blueprint)
        app.extensions["portalkit"] = self
        mount_api(self, app)  # the JSON API below the prefix at api/v1 (portalkit.api, docs/api.md)

    # -- a request ------------------------------------------------------------------------------
    def _view(self, **params: Any) -> Response:
        assert self.web is not None
        endpoint = (request.endpoint or "").rpartition(".")[2]
        if endpoint == "static":
            try:
                return self._file(self.web.static_file(params["name"]), cache=True)
            except PortalError:
                return Response("Not found", 404)
        req = self._request()
        with self.web.portal.settings.pinned():  # one read of the settings for the page and its headers
            return self._secure(self._respond(self.web.handle(endpoint, req, **params), req))

    def _request(self) -> PageRequest:
        webhook = (request.endpoint or "").rpartition(".")[2] in WEBHOOKS
        body = request.get_data() if webhook else b""  # read (and kept) before the form is parsed from it
        files = (
            {}
            if webhook
            else {
                k: [
                    Upload(filename=f.filename or "", content_type=f.mimetype or "", data=f.read())
                    for f in request.files.getlist(k)
                ]
                for k in request.files
            }
        )
        return PageRequest(
            method=request.method,
            session=session,
            args=request.args.to_dict(),
            form=request.form.to_dict(flat=False),
            files=files,
            url=request.url,
            ip=request.remote_addr or "",
            staff=self._staff(),
            headers=dict(request.headers),
            body=body,
        )

    def _respond(self, result: Result, req: PageRequest) -> Response:
        assert self.web is not None
        if isinstance(result, Redirect):
            if result.session == "end":
                session.clear()
            if result.endpoint == "staff_login" and self.staff_login_url:  # the host signs its staff in
                return redirect(f"{self.staff_login_url}?{urlencode({'next': request.full_path.rstrip('?')})}", 303)  # type: ignore[return-value]
            return redirect(self._url(result.endpoint, **result.params), 303)  # type: ignore[return-value]
        if isinstance(result, FileResponse):
            return self._file(result)
        if isinstance(result, Reply):
            return Response(result.body, result.status, content_type=result.content_type)
        html = self.web.render(
            result,
            req,
            url=self._url,
            static=lambda name: self._url("static", name=name),
            csrf_field=lambda: Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf()),
        )
        response = Response(html, result.status, content_type="text/html; charset=utf-8")
        if result.status == 429:  # too busy (LoginsBusy): when to come back
            response.headers["Retry-After"] = str(result.context.get("retry_after", 1))
        return response

    def _url(self, endpoint: str, **params: Any) -> str:
        return url_for(f"{self.name}.{endpoint}", **params)

    @staticmethod
    def _file(result: FileResponse, cache: bool = False) -> Response:
        disposition = "inline" if result.inline else "attachment"
        response = Response(
            result.data,
            content_type=result.content_type,
            headers={"Content-Disposition": f'{disposition}; filename="{result.filename}"'},
        )
        if cache:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    def _limit_body(self) -> None:
        """The page's body limit for this request (Flask's own ``request.max_content_length``,
        which also bounds any later read), checked against the declared Content-Length before
        anything reads the body: 413 when larger; 411 for a body streamed without a length
        (Transfer-Encoding). A request with neither header has an empty body (RFC 9112 6.3)."""
        assert self.web is not None
        length = request.content_length
        if length is None and request.headers.get("Transfer-Encoding"):
            raise LengthRequired()
        if length is None or length <= SMALL_BODY:  # any page takes this much: no need to ask who is here
            request.max_content_length = SMALL_BODY
            return
        endpoint = (request.endpoint or "").rpartition(".")[2]
        limit = self.web.body_limit(
            endpoint,
            customer=lambda: self.web is not None and self.web.signed_in(session),
            staff=lambda: self._staff() is not None,
        )
        request.max_content_length = limit
        if length > limit:
            raise RequestEntityTooLarge()

    @staticmethod
    def _check_csrf() -> None:
        """Flask-WTF's check on every POST to the portal's pages; a missing or wrong token is a 400.
        The processor's webhook is no form: its signature is checked instead."""
        if request.method == "POST" and (request.endpoint or "").rpartition(".")[2] not in WEBHOOKS:
            try:
                validate_csrf(request.form.get("csrf_token"))
            except CsrfInvalid as exc:
                raise CSRFError(exc.args[0]) from exc

    def _secure(self, response: Response) -> Response:
        assert self.web is not None
        if response.headers.get("Content-Security-Policy"):
            return response  # set by the view already
        for name, value in self.web.security_headers():
            if name == "Cache-Control" and response.headers.get(name):
                continue
            response.headers[name] = value
        return response

    # -- staff ----------------------------------------------------------------------------------
    def current_staff(self) -> StaffUser | None:
        """The staff user signed in to the portal on this request, as the host has them now (their
        permissions loaded fresh), or ``None``: for the host's own staff pages."""
        return self._staff()

    def _staff(self) -> StaffUser | None:
        """The signed-in staff user of this request, loaded once per request: the host's own
        (``staff_loader``), or the one behind the server-side session, as the host has it now."""
        if "portalkit_staff" not in g:
            g.portalkit_staff = self._load_staff()
        return g.portalkit_staff  # type: ignore[no-any-return]

    def _load_staff(self) -> StaffUser | None:
        if self.staff_loader is not None:
            return self.staff_loader()
        assert self.portal is not None
        session_id = session.get(STAFF_KEY)
        if not session_id or self.staff_user is None:
            return None
        staff_id = self.portal.staff_sessions.staff_id(session_id, self.staff_session)
        user = self.staff_user(staff_id) if staff_id is not None else None
        if user is None:  # ended, expired, or the host removed the user
            self.portal.staff_sessions.end(session_id)
            session.pop(STAFF_KEY, None)
        return user

    def _staff_signin(self, req: PageRequest, email: str, password: str) -> bool:
        assert self.portal is not None
        staff = self.staff_authenticator(email, password) if self.staff_authenticator else None
        if staff is None:
            return False
        session.clear()
        session[STAFF_KEY] = self.portal.staff_sessions.start(staff.id)
        g.pop("portalkit_staff", None)
        return True

    def _staff_signout(self, req: PageRequest) -> None:
        assert self.portal is not None
        self.portal.staff_sessions.end(session.pop(STAFF_KEY, None))
        g.pop("portalkit_staff", None)


def _current_contact() -> Contact | None:
    if "portalkit_contact" not in g:
        kit: PortalKit = current_app.extensions["portalkit"]
        token = session.get(TOKEN)
        contact = None
        if token and kit.portal is not None:
            try:
                contact = kit.portal.accounts.authenticate(token)
            except PortalError:
                contact = None
        g.portalkit_contact = contact
    return g.portalkit_contact  # type: ignore[no-any-return]


current_contact: Contact | None = LocalProxy(_current_contact)  # type: ignore[assignment]
