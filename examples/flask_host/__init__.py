"""Flask reference host: the field-service app's own page at ``/``, the portal at ``/portal/``."""

from __future__ import annotations

from flask import Flask

from portalkit import Portal
from portalkit.contrib.flask import PortalKit

from ..common.host import build_portal, secret_key
from .staff import StaffAccounts


def create_app(portal: Portal | None = None, *, staff: StaffAccounts | None = None,
               secure_cookies: bool = True) -> Flask:
    app = Flask(__name__)
    app.secret_key = secret_key("flask-session.key")
    # No app-wide MAX_CONTENT_LENGTH: PortalKit gives each portal page its own body limit (small
    # forms before sign-in, the upload pages their files' limits once signed in).
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=secure_cookies)
    staff = staff or StaffAccounts.demo()
    app.extensions["staff_accounts"] = staff

    @app.get("/")
    def home() -> str:
        return ('<!doctype html><title>Green Acres</title><h1>Green Acres Field Service</h1>'
                '<p><a href="/portal/">Customer portal</a> · <a href="/portal/staff/login">Staff</a></p>')

    PortalKit(app, portal or build_portal(), url_prefix="/portal", staff_authenticator=staff.authenticate,
              staff_user=staff.by_id)
    return app
