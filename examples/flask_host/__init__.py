"""Flask reference host: the field-service app's own page at ``/``, the portal at ``/portal/``."""

from __future__ import annotations

from flask import Flask, abort, redirect, request, session, url_for
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError as CsrfInvalid

from portalkit import PermissionDenied, Portal
from portalkit.contrib.flask import PortalKit
from portalkit.web.customer import FLASH

from ..common.demo import SETTLE_PATH, settle_now
from ..common.host import build_portal, secret_key
from .staff import StaffAccounts


def create_app(
    portal: Portal | None = None, *, staff: StaffAccounts | None = None, secure_cookies: bool = True
) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key("flask-session.key")
    # No app-wide MAX_CONTENT_LENGTH: PortalKit gives each portal page its own body limit (small
    # forms before sign-in, the upload pages their files' limits once signed in).
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=secure_cookies)
    staff = staff or StaffAccounts.demo()
    app.extensions["staff_accounts"] = staff

    @app.get("/")
    def home() -> str:
        return (
            "<!doctype html><title>Green Acres</title><h1>Green Acres Field Service</h1>"
            '<p><a href="/portal/">Customer portal</a> · <a href="/portal/staff/login">Staff</a></p>'
        )

    portal = portal or build_portal()
    kit = PortalKit(app, portal, url_prefix="/portal", staff_authenticator=staff.authenticate, staff_user=staff.by_id)

    @app.post(SETTLE_PATH)
    def settle_payments() -> Response:
        """The demo's "Let the test processor answer now" (examples/common/demo.py): staff with
        the billing permission, a form of the portal's (its CSRF field)."""
        try:
            validate_csrf(request.form.get("csrf_token"))
        except CsrfInvalid:
            abort(400)
        staff_user = kit.current_staff()
        if staff_user is None:
            return redirect(url_for("portalkit.staff_login"), 303)
        try:
            session[FLASH] = settle_now(portal, staff_user)  # shown on the portal's next page
        except PermissionDenied:
            abort(403)
        return redirect(url_for("portalkit.staff_payments"), 303)

    return app
