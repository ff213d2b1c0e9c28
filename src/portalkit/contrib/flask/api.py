"""The portal's JSON API on Flask (``portalkit.api``), mounted by ``PortalKit`` below its prefix
at ``api/v1``: the same Flask session as the pages for cookie clients, Flask-WTF's CSRF token
in the ``X-CSRFToken`` header for their unsafe requests, bearer tokens without either; the
pages' body-size limits (413 before the body is read, 411 without a length), security headers
and ``Cache-Control: no-store``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError as CsrfInvalid

from ..._core.files import Upload
from ...api import API_PREFIX, BEARER, OPERATIONS, ApiRequest, ApiResponse, PortalApi
from ...api.problems import problem
from ...i18n import gettext

if TYPE_CHECKING:
    from . import PortalKit

CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")  # Flask-WTF's WTF_CSRF_HEADERS


def flask_path(path: str) -> str:
    """``/invoices/{id}`` -> ``/invoices/<id>``."""
    return path.replace("{", "<").replace("}", ">")


def mount_api(kit: PortalKit, app: Flask) -> PortalApi:
    """Register the API's blueprint (``<name>_api``) on ``app``; return the API."""
    assert kit.portal is not None and kit.web is not None
    api = PortalApi(kit.portal, OPERATIONS, cookie_name=app.config.get("SESSION_COOKIE_NAME") or "session")
    base = f"{kit.url_prefix}/{API_PREFIX}"
    blueprint = Blueprint(f"{kit.name}_api", __name__, url_prefix=base)
    web = kit.web

    def secure(response: Response) -> Response:
        for name, value in web.security_headers():
            response.headers[name] = value
        return response

    def reply(answer: ApiResponse) -> Response:
        if answer.session == "end":
            session.clear()
        response = Response(answer.body, answer.status, content_type=answer.content_type)
        for name, value in answer.headers:
            response.headers[name] = value
        return secure(response)

    def limit_body() -> Response | None:
        """The operation's body limit, checked against Content-Length before the body is read."""
        length = request.content_length
        if length is None and request.headers.get("Transfer-Encoding"):
            return reply(
                problem(411, "length-required", gettext("Not valid"), gettext("A request body needs a Content-Length."))
            )
        operation = (request.endpoint or "").rpartition(".")[2]
        authorization = request.headers.get("Authorization", "")
        limit = api.body_limit(operation, lambda: api.signed_in(authorization, None if authorization else session))
        request.max_content_length = limit
        if length is not None and length > limit:
            return reply(problem(413, "too-large", gettext("Not valid"), gettext("The request body is too large.")))
        return None

    def csrf_ok() -> bool:
        token = next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None)
        try:
            validate_csrf(token)
        except CsrfInvalid:
            return False
        return True

    def view(**params: Any) -> Response:
        operation = (request.endpoint or "").rpartition(".")[2]
        bearer = api.client(dict(request.headers)) == BEARER
        multipart = request.mimetype == "multipart/form-data"
        files = (
            {
                k: [
                    Upload(filename=f.filename or "", content_type=f.mimetype or "", data=f.read())
                    for f in request.files.getlist(k)
                ]
                for k in request.files
            }
            if multipart
            else {}
        )
        req = ApiRequest(
            method=request.method,
            session={} if bearer else session,
            base=request.script_root + base,
            headers=dict(request.headers),
            query=request.args.to_dict(),
            body=b"" if multipart else request.get_data(),
            form=request.form.to_dict(flat=False) if multipart else {},
            files=files,
            ip=request.remote_addr or "",
            csrf_ok=csrf_ok,
            csrf_token=generate_csrf,
            native=request,
        )
        with api.portal.settings.pinned():  # one read of the settings for the answer and its headers
            return reply(api.handle(operation, req, **params))

    for op in OPERATIONS:
        blueprint.add_url_rule(flask_path(op.path), op.id, view, methods=[op.method])
    blueprint.before_request(limit_body)
    protect = app.extensions.get("csrf")  # a host's CSRFProtect: the API checks cookie clients itself
    if protect is not None:
        protect.exempt(blueprint)
    app.register_blueprint(blueprint)
    app.extensions["portalkit_api"] = api
    return api
