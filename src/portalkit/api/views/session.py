"""Signing in and out: bearer tokens and cookie sessions (ACC-2, ACC-3, API-3)."""

from __future__ import annotations

from ...accounts._accounts import SESSION_LIFETIME, Session
from ...errors import ValidationError
from ...i18n import _
from ...web.customer import LANGUAGE, TOKEN
from .. import shapes as s
from ..core import BEARER, COOKIE, CSRF_HEADER, Call
from ..http import ApiResponse, answer
from . import _out


def csrf(call: Call) -> s.CsrfToken:
    """API-3: the framework's CSRF token for a cookie client's unsafe requests."""
    return s.CsrfToken(token=call.req.csrf_token(), header=CSRF_HEADER)


def create(call: Call) -> ApiResponse:
    """ACC-2: email and password; throttled as the login page is (429 with Retry-After)."""
    login: s.Login = call.body
    _cookie_allowed(call, login.cookie)
    session = call.portal.accounts.login(login.email, login.password, call.req.ip)
    return _started(call, session, login.cookie)


def redeem_link(call: Call) -> ApiResponse:
    """A mailed sign-in link's token (single use), posted in the body, never in a URL."""
    link: s.LinkToken = call.body
    _cookie_allowed(call, link.cookie)
    text = link.token.strip()
    token = text.rpartition("#")[2] if "#" in text else text
    session = call.portal.accounts.login_with_link(token)
    return _started(call, session, link.cookie)


def delete(call: Call) -> ApiResponse:
    """Logout: the bearer token (or the cookie session's) stops working at once, everywhere it
    was copied to."""
    if call.token:
        call.portal.accounts.logout(call.token)
    if call.client == BEARER:
        return ApiResponse(status=204)
    language = call.req.session.get(LANGUAGE)
    call.req.session.clear()
    if language:
        call.req.session[LANGUAGE] = language
    return ApiResponse(status=204, session="end")


def forgot_password(call: Call) -> ApiResponse:
    """ACC-3: the same answer for every address; throttled per address and client."""
    body: s.EmailOnly = call.body
    answer = call.portal.accounts.request_reset(body.email, call.req.ip)
    return _accepted(s.Message(message=answer))


def request_link(call: Call) -> ApiResponse:
    """ "Email me a sign-in link": the same answer for every address."""
    body: s.EmailOnly = call.body
    answer = call.portal.accounts.request_login_link(body.email, call.req.ip)
    return _accepted(s.Message(message=answer))


def _accepted(message: s.Message) -> ApiResponse:
    return answer(message, 202)


def _cookie_allowed(call: Call, cookie: bool) -> None:
    if cookie and call.client != COOKIE:
        raise ValidationError(_("A request with a bearer token cannot start a cookie session."), field="cookie")
    if cookie:
        call.require_csrf()  # it writes the framework session: no login CSRF


def _started(call: Call, session: Session, cookie: bool) -> ApiResponse:
    expires = s.when(call.portal.clock.now() + SESSION_LIFETIME)
    me = _out.me(session.contact, call.portal.config)
    if not cookie:
        return answer(s.Session(token=session.token, expires_at=expires, contact=me), 201)
    call.req.session.clear()  # a new session: nothing of the visitor's before carries over
    call.req.session[TOKEN] = session.token
    call.req.session[LANGUAGE] = session.contact.language
    return answer(s.Session(token=None, expires_at=expires, contact=me), 201, session="rotate")


__all__ = ["create", "csrf", "delete", "forgot_password", "redeem_link", "request_link"]
