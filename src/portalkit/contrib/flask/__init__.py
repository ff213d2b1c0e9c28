"""portalkit for Flask: the portal's pages as a blueprint, on Flask's own session and Flask-WTF's
CSRF protection, with the host's staff users::

    app = Flask(__name__); app.secret_key = ...
    PortalKit(app, portal, url_prefix="/portal", staff_authenticator=check_staff)

``staff_authenticator(email, password)`` returns the host's user as a ``portalkit.StaffUser``
(its permissions mapped from the host's roles) or ``None``; portalkit's staff login page calls
it, throttled, and keeps the staff user in the session for ``staff_session_hours``. A host that
already signs staff in (Flask-Login) passes ``staff_loader()`` returning the current user as a
``StaffUser`` instead. ``current_contact`` is the logged-in customer of this request, or None.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from flask import Blueprint, Flask, Response, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import Markup
from werkzeug.local import LocalProxy
from wtforms.validators import ValidationError as CsrfInvalid

from ...errors import PortalError
from ...files import Upload
from ...models import Contact, StaffUser
from ...portal import Portal
from ...serialization import from_primitive, to_primitive
from ...web import ROUTES, FileResponse, Page, PageRequest, PortalWeb, Redirect, Reply, Result
from ...web.routes import WEBHOOKS
from ...web.customer import TOKEN

__all__ = ["PortalKit", "current_contact"]

STAFF_KEY = "portalkit_staff"
STAFF_SINCE_KEY = "portalkit_staff_since"


class PortalKit:
    """The Flask extension (``init_app`` style, like Flask-Login)."""

    def __init__(self, app: Flask | None = None, portal: Portal | None = None, *, url_prefix: str = "/portal",
                 name: str = "portalkit", staff_authenticator: Callable[[str, str], StaffUser | None] | None = None,
                 staff_loader: Callable[[], StaffUser | None] | None = None, staff_session_hours: float = 8.0):
        self.portal = portal
        self.url_prefix, self.name = url_prefix.rstrip("/"), name
        self.staff_authenticator, self.staff_loader = staff_authenticator, staff_loader
        self.staff_session_seconds = staff_session_hours * 3600
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
        self.web = PortalWeb(self.portal, host_template_dirs=folders,
                             staff_signin=self._staff_signin, staff_signout=self._staff_signout)
        blueprint = Blueprint(self.name, __name__, url_prefix=self.url_prefix or None)
        for route in ROUTES:
            blueprint.add_url_rule("/" + route.path, route.endpoint, self._view, methods=list(route.methods))
        blueprint.before_request(self._check_csrf)
        blueprint.after_request(self._secure)
        app.register_blueprint(blueprint)
        app.extensions["portalkit"] = self

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
        files = {k: [Upload(filename=f.filename or "", content_type=f.mimetype or "",
                                data=f.read()) for f in request.files.getlist(k)] for k in request.files}
        webhook = (request.endpoint or "").rpartition(".")[2] in WEBHOOKS
        return PageRequest(method=request.method, session=session, args=request.args.to_dict(),
                           form={} if webhook else request.form.to_dict(flat=False), files=files,
                           ip=request.remote_addr or "", staff=self._staff(), headers=dict(request.headers),
                           body=request.get_data() if webhook else b"")

    def _respond(self, result: Result, req: PageRequest) -> Response:
        assert self.web is not None
        if isinstance(result, Redirect):
            if result.session == "end":
                session.clear()
            return redirect(self._url(result.endpoint, **result.params), 303)  # type: ignore[return-value]
        if isinstance(result, FileResponse):
            return self._file(result)
        if isinstance(result, Reply):
            return Response(result.body, result.status, content_type=result.content_type)
        html = self.web.render(result, req, url=self._url, static=lambda name: self._url("static", name=name),
                               csrf_field=lambda: Markup('<input type="hidden" name="csrf_token" value="{}">')
                               .format(generate_csrf()))
        return Response(html, result.status, content_type="text/html; charset=utf-8")

    def _url(self, endpoint: str, **params: Any) -> str:
        return url_for(f"{self.name}.{endpoint}", **params)

    @staticmethod
    def _file(result: FileResponse, cache: bool = False) -> Response:
        disposition = "inline" if result.inline else "attachment"
        response = Response(result.data, content_type=result.content_type,
                            headers={"Content-Disposition": f'{disposition}; filename="{result.filename}"'})
        if cache:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response

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
    def _staff(self) -> StaffUser | None:
        if self.staff_loader is not None:
            return self.staff_loader()
        since = session.get(STAFF_SINCE_KEY, 0)
        if STAFF_KEY not in session or time.time() - since > self.staff_session_seconds:
            session.pop(STAFF_KEY, None)
            return None
        return from_primitive(session[STAFF_KEY], StaffUser)

    def _staff_signin(self, req: PageRequest, email: str, password: str) -> bool:
        staff = self.staff_authenticator(email, password) if self.staff_authenticator else None
        if staff is None:
            return False
        session.clear()
        session[STAFF_KEY] = to_primitive(staff)
        session[STAFF_SINCE_KEY] = time.time()
        return True

    @staticmethod
    def _staff_signout(req: PageRequest) -> None:
        session.pop(STAFF_KEY, None)
        session.pop(STAFF_SINCE_KEY, None)


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
