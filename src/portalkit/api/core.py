"""``PortalApi``: runs an operation for the framework glue (API-1..5).

Who is calling: a bearer client (``Authorization: Bearer <token>``, the customer session token
``portal.accounts.login`` returns) or a cookie client (the framework session the pages use, its
token under the pages' key). A bearer request never reads or writes the framework session and
needs no CSRF token; a cookie client's unsafe request needs the framework's CSRF token in the
``X-CSRFToken`` header (API-3). A token is never taken from a URL. Every refusal is a problem
(API-4); the caller's language is the contact's once known, else their ``Accept-Language``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import msgspec

from .. import i18n
from ..errors import PortalError, SessionExpired, ValidationError
from ..i18n import _
from ..models import Contact
from ..proposals._proposals import MAX_SIGNATURE_BYTES
from ..web.customer import LANGUAGE, TOKEN
from ..web.http import FileResponse
from ..web.routes import ANONYMOUS, FILES, FORM, FORM_BODY, SIGNATURE, SMALL_BODY
from .activity import Activity
from .http import ApiRequest, ApiResponse
from .problems import from_error, problem, unexpected

if TYPE_CHECKING:
    from ..portal import Portal

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
URL_TOKENS = frozenset({"access_token", "token", "session", "session_token", "bearer", "auth"})
CSRF_HEADER = "X-CSRFToken"
BEARER, COOKIE = "bearer", "cookie"


@attrs.frozen(kw_only=True)
class Operation:
    """One operation of the API: its ``operationId``, method and path (OpenAPI style, below
    ``/api/v1``), the handler, and the shapes the OpenAPI document is generated from.

    ``response`` is the success shape (``None``: no body, or a file of ``binary`` type);
    ``body`` and ``query`` are decoded into their shapes before the handler runs; ``files`` are
    the multipart fields that carry uploads; ``size`` is the body-size class of ``web.routes``;
    ``auth``: only for a signed-in contact; ``csrf``: a cookie client's unsafe request needs the
    CSRF header (operations that set no session decide for themselves)."""

    id: str
    method: str
    path: str
    handler: Callable[[Call], Any]
    summary: str
    tag: str
    status: int = 200
    response: type | None = None
    binary: str | None = None
    body: type | None = None
    query: type | None = None
    files: tuple[str, ...] = ()
    size: str = FORM
    auth: bool = True
    csrf: bool = True
    errors: tuple[int, ...] = ()

    @property
    def params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]


@attrs.define
class Call:
    """What a handler gets: the portal, the request, the signed-in contact (``None`` for an
    anonymous operation), the path parameters, and the decoded query and body."""

    portal: Portal
    activity: Activity
    req: ApiRequest
    client: str
    token: str | None
    contact: Contact | None
    params: dict[str, str]
    query: Any = None
    body: Any = None
    uploads: dict[str, list[Any]] = attrs.Factory(dict)
    cookie_name: str = "session"

    @property
    def me(self) -> Contact:
        if self.contact is None:
            raise SessionExpired()
        return self.contact

    def url(self, path: str) -> str:
        """The URL of ``path`` below the API's mount point (``/portal/api/v1`` + path)."""
        return self.req.base + path

    def require_csrf(self) -> None:
        """A cookie client's unsafe request carries the framework's CSRF token (API-3)."""
        if self.client == COOKIE and self.req.method not in SAFE_METHODS and not self.req.csrf_ok():
            raise CsrfRefused()


class CsrfRefused(Exception):
    """A cookie client's unsafe request without the framework's CSRF token in its header."""


def csrf_problem() -> ApiResponse:
    return problem(
        403, "csrf", _("Not allowed"), _("Send the CSRF token from GET api/v1/csrf in the X-CSRFToken header.")
    )


class PortalApi:
    """The API of one portal; ``operations`` is the route table (``api.routes.OPERATIONS``);
    ``cookie_name`` the framework's session cookie, as the OpenAPI document names it."""

    def __init__(self, portal: Portal, operations: Iterable[Operation], *, cookie_name: str = "session"):
        self.portal, self.cookie_name = portal, cookie_name
        self.activity = Activity(portal)
        self.operations = {op.id: op for op in operations}

    # -- what the glue asks before reading a body -------------------------------------------------
    @staticmethod
    def client(headers: Mapping[str, str]) -> str:
        """``"bearer"`` when the request has an ``Authorization`` header, else ``"cookie"``."""
        return BEARER if any(k.lower() == "authorization" and v for k, v in headers.items()) else COOKIE

    def signed_in(self, authorization: str, session: Any) -> bool:
        """Whether the caller holds a live customer session: its bearer token, or else the
        framework session's token (a cookie client)."""
        token = _bearer(authorization) if authorization else (session.get(TOKEN) if session is not None else None)
        if not token:
            return False
        try:
            self.portal.accounts.authenticate(token)
        except PortalError:
            return False
        return True

    def body_limit(self, operation: str, signed_in: Callable[[], bool]) -> int:
        """The largest body ``operation`` takes, in bytes, by its body-size class as the pages'
        (``web.routes``): more than ``SMALL_BODY`` only for a signed-in caller (asked only when
        it matters). The glue refuses a larger Content-Length with 413 before reading it."""
        op = self.operations.get(operation)
        if op is None or op.size == ANONYMOUS or op.body is None or not signed_in():
            return SMALL_BODY
        config = self.portal.config
        extra = {FILES: config.max_issue_attachments * config.max_attachment_bytes, SIGNATURE: 2 * MAX_SIGNATURE_BYTES}
        return FORM_BODY + extra.get(op.size, 0)

    # -- running an operation --------------------------------------------------------------------
    def handle(self, operation: str, req: ApiRequest, **params: str) -> ApiResponse:
        """Run ``operation``; every refusal is a problem, never an exception."""
        op = self.operations[operation]
        with i18n.override(i18n.negotiate(req.header("Accept-Language"))):
            answer = self._handle(op, req, params)
        if answer.status == 401 and self.client(req.headers) == BEARER:
            answer = attrs.evolve(answer, headers=answer.headers + (("WWW-Authenticate", 'Bearer realm="portal"'),))
        return answer

    def _handle(self, op: Operation, req: ApiRequest, params: dict[str, str]) -> ApiResponse:
        if URL_TOKENS & {k.lower() for k in req.query}:
            return problem(
                400, "token-in-url", _("Not valid"), _("Send the token in the Authorization header, never in a URL.")
            )
        client = self.client(req.headers)
        try:
            with self.portal.page_scope():
                token = self._token(req, client)
                call = Call(
                    self.portal, self.activity, req, client, token, None, dict(params), cookie_name=self.cookie_name
                )
                if op.csrf:
                    call.require_csrf()
                if op.auth:
                    call.contact = self._contact(call)
                self._decode(op, call)
                return self._answer(op, op.handler(call))
        except CsrfRefused:
            return csrf_problem()
        except _BadBody as exc:
            return exc.answer
        except PortalError as exc:
            if isinstance(exc, SessionExpired) and client == COOKIE and op.auth:
                req.session.pop(TOKEN, None)
            return from_error(exc)
        except Exception:
            return unexpected(op.id)

    @staticmethod
    def _token(req: ApiRequest, client: str) -> str | None:
        if client == BEARER:
            token = _bearer(req.header("Authorization"))
            if not token:
                raise SessionExpired()
            return token
        found = req.session.get(TOKEN)
        return found if isinstance(found, str) and found else None

    def _contact(self, call: Call) -> Contact:
        if not call.token:
            raise SessionExpired()
        contact = self.portal.accounts.authenticate(call.token)
        i18n.activate(contact.language)
        if call.client == COOKIE and call.req.session.get(LANGUAGE) != contact.language:
            call.req.session[LANGUAGE] = contact.language  # the pages around the app speak it too
        return contact

    def _decode(self, op: Operation, call: Call) -> None:
        req = call.req
        if op.query is not None:
            call.query = _convert(op.query, dict(req.query), strict=False)
        if op.body is None:
            return
        if op.files and req.content_type == "multipart/form-data":
            fields: dict[str, object] = {
                k: (v if k in _list_fields(op.body) else v[0]) for k, v in req.form.items() if v
            }
            call.body = _convert(op.body, fields, strict=False)
            call.uploads = {name: [u for u in req.files.get(name, []) if u.filename] for name in op.files}
            return
        if req.body and req.content_type != "application/json":
            raise _BadBody(
                problem(415, "unsupported-media-type", _("Not valid"), _("Send the request body as application/json."))
            )
        try:
            call.body = msgspec.json.decode(req.body or b"{}", type=op.body)
        except msgspec.ValidationError as exc:
            raise _BadBody(_invalid(exc)) from exc
        except msgspec.DecodeError as exc:
            raise _BadBody(problem(400, "malformed", _("Not valid"), _("The request body is not valid JSON."))) from exc

    def _answer(self, op: Operation, result: Any) -> ApiResponse:
        if isinstance(result, ApiResponse):
            return result
        if isinstance(result, FileResponse):
            disposition = "inline" if result.inline else "attachment"
            return ApiResponse(
                status=200,
                body=result.data,
                content_type=result.content_type,
                headers=(("Content-Disposition", f'{disposition}; filename="{result.filename}"'),),
            )
        if result is None:
            return ApiResponse(status=204)
        return ApiResponse(status=op.status, body=msgspec.json.encode(result))


class _BadBody(Exception):
    def __init__(self, answer: ApiResponse):
        super().__init__(answer.status)
        self.answer = answer


def _bearer(authorization: str) -> str:
    scheme, _sep, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _list_fields(shape: type) -> set[str]:
    return {f.name for f in attrs.fields(shape) if str(f.type).startswith(("list", "tuple"))}


def _convert(shape: type, data: dict[str, object], *, strict: bool) -> Any:
    try:
        return msgspec.convert(data, type=shape, strict=strict)
    except msgspec.ValidationError as exc:
        raise _BadBody(_invalid(exc)) from exc


def _invalid(exc: msgspec.ValidationError) -> ApiResponse:
    """A body or query that does not match the operation's shape: 422, the member named."""
    text = str(exc)
    where = text.rpartition(" - at `")[2].rstrip("`") if " - at `" in text else "$"
    missing = re.search(r"missing required field `([^`]+)`", text)
    if missing:
        where = f"{where}.{missing.group(1)}"
    field = where[2:] if where.startswith("$.") else where
    return problem(
        422,
        "invalid",
        _("Not valid"),
        ValidationError().public_message,
        field=field,
        errors=[{"field": field, "detail": text}],
    )
