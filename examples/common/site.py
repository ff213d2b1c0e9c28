"""The portal's pages, framework-neutral: ``PortalSite.handle(Request) -> Response``.

``PortalSite`` routes requests to the customer pages (``customer_pages``) and the staff pages
(``staff_pages``) and does the plumbing they share; the Flask and Django hosts translate
requests and responses, set cookie flags and serve ``static/``.

Security: every POST carries a per-session CSRF token (compared in constant time); customer
pages resolve records only through portalkit's visibility checks, so a foreign id is a 404;
portalkit errors are shown by their ``public_message`` and anything else by a generic page,
never a stack trace; tokens in URLs are kept out of referrers.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from pathlib import Path
from typing import Any, Callable

import attrs
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portalkit.errors import NotFound, PermissionDenied, PortalError, SessionExpired
from portalkit.models import Contact, StaffUser

from .customer_pages import CustomerPages
from .staff_pages import StaffPages
from .web import CsrfRejected, DemoMailer, Request, Response, StaffLoginRequired, redirect

__all__ = ["PortalSite", "Request", "Response", "DemoMailer", "STATIC_DIR"]

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


class PortalSite(CustomerPages, StaffPages):
    def __init__(self, portal, *, staff_password: str, secret_key: str, mailer: DemoMailer | None = None):
        self.portal = portal
        self.secret_key = secret_key  # for the host's own session cookies
        self.staff_password = staff_password
        self.mailer = mailer
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.routes: list[tuple[str, re.Pattern, Callable[..., Response]]] = []
        for methods, pattern, handler in self.customer_routes() + self.staff_routes():
            for method in methods.split(","):
                self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    # -- plumbing -------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        for method, pattern, handler in self.routes:
            match = pattern.match(req.path)
            if match and method == req.method:
                try:
                    if req.method == "POST":
                        self._check_csrf(req)
                    response = handler(req, **match.groupdict())
                except StaffLoginRequired:
                    return redirect("/staff/login")
                except SessionExpired:
                    req.session.pop("token", None)
                    return redirect("/login")
                except NotFound as exc:
                    response = self.page(req, "message.html", status=404, title="Not found", message=exc.public_message)
                except PortalError as exc:
                    response = self.page(req, "message.html", status=403 if isinstance(exc, PermissionDenied) else 400,
                                         title="Not possible", message=exc.public_message)
                except Exception:  # never a stack trace to a customer
                    log.exception("error on %s %s", req.method, req.path)
                    response = self.page(req, "message.html", status=500, title="Something went wrong",
                                         message="Please try again in a moment.")
                return attrs.evolve(response, headers=response.headers + self._security_headers())
        if any(p.match(req.path) for _, p, _ in self.routes):
            return Response(b"Method not allowed", 405, "text/plain")
        return attrs.evolve(self.page(req, "message.html", status=404, title="Not found", message="Not found."),
                            headers=self._security_headers())

    @staticmethod
    def _security_headers() -> tuple[tuple[str, str], ...]:
        return (
            ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                        "frame-ancestors 'self'; form-action 'self'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        )

    def csrf_token(self, req: Request) -> str:
        if "csrf" not in req.session:
            req.session["csrf"] = secrets.token_urlsafe(32)
        return req.session["csrf"]

    def _check_csrf(self, req: Request) -> None:
        expected = req.session.get("csrf", "")
        if not expected or not hmac.compare_digest(expected, req.field("csrf")):
            raise CsrfRejected()

    def flash(self, req: Request, message: str) -> None:
        req.session["flash"] = message

    def page(self, req: Request, template: str, status: int = 200, *, portal_config=None, **context: Any) -> Response:
        config = portal_config or self.portal.config
        b = config.branding
        context.setdefault("contact", None)
        html = self.env.get_template(template).render(
            config=config, brand=b, csrf=self.csrf_token(req), flash=req.session.pop("flash", None),
            staff_in=bool(req.session.get("staff_id")), **context,
        )
        return Response(html.encode("utf-8"), status)

    def contact(self, req: Request) -> Contact:
        token = req.session.get("token")
        if not token:
            raise SessionExpired()
        return self.portal.accounts.authenticate(token)

    def staff(self, req: Request) -> StaffUser:
        staff_id = req.session.get("staff_id")
        user = staff_id and self.portal.storage.get(StaffUser, staff_id)
        if not user:
            raise StaffLoginRequired()
        return user

