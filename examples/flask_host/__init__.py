"""Flask reference host: every portal page, served by translating Flask requests for PortalSite."""

from __future__ import annotations

from flask import Flask, Response as FlaskResponse, request, send_from_directory, session

from portalkit import Attachment

from ..common.site import STATIC_DIR, PortalSite, Request


def create_app(site: PortalSite, *, secure_cookies: bool = True) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.secret_key = site.secret_key
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="portal_session",
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,
    )

    @app.get("/static/<path:name>")
    def static_files(name: str):
        return send_from_directory(STATIC_DIR, name)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def portal_page(path: str):
        files = {k: [Attachment(filename=f.filename or "", content_type=f.mimetype or "application/octet-stream",
                                data=f.read()) for f in request.files.getlist(k)] for k in request.files}
        req = Request(method=request.method, path="/" + path, session=session, args=request.args.to_dict(),
                      form=request.form.to_dict(flat=False), files=files, ip=request.remote_addr or "")
        res = site.handle(req)
        return FlaskResponse(res.body, status=res.status, content_type=res.content_type, headers=list(res.headers))

    return app
