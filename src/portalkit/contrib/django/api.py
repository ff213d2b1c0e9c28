"""The portal's JSON API on Django (``portalkit.api``), below the portal's prefix at ``api/v1``:
the pages' Django session for cookie clients, Django's own CSRF check of the ``X-CSRFToken``
header for their unsafe requests (as Django REST framework's session authentication runs it),
bearer tokens without either; the pages' body-size limits (413 before the body is read, 411
without a length), security headers and ``Cache-Control: no-store``."""

from __future__ import annotations

import re
import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token, rotate_token
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from ..._core.files import Upload
from ...api import API_PREFIX, BEARER, OPERATIONS, ApiRequest, ApiResponse, Operation, PortalApi
from ...api.problems import problem
from ...i18n import gettext
from ...web.routes import SMALL_BODY
from .conf import get_portal
from .views import NAMESPACE, _secure

_lock = threading.Lock()
_api: PortalApi | None = None
_BY_PATH: dict[str, dict[str, Operation]] = {}
for _op in OPERATIONS:
    _BY_PATH.setdefault(_op.path, {})[_op.method] = _op


def api() -> PortalApi:
    """The API of the host's portal, built on first use (again when the portal changed)."""
    global _api
    with _lock:
        if _api is None or _api.portal is not get_portal():
            _api = PortalApi(get_portal(), OPERATIONS, cookie_name=settings.SESSION_COOKIE_NAME)
        return _api


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering the reason of a refusal instead of its failure page."""

    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason


def _csrf_ok(request: HttpRequest) -> bool:
    check = _CsrfCheck(lambda r: HttpResponse())
    check.process_request(request)
    return check.process_view(request, lambda r: HttpResponse(), (), {}) is None


def _reply(answer: ApiResponse, request: HttpRequest | None = None) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers:
        response[name] = value
    if request is not None and answer.session == "rotate":
        request.session.cycle_key()  # a new session id at every login: no fixation
        rotate_token(request)  # and a new CSRF secret, as django.contrib.auth.login does
    elif request is not None and answer.session == "end":
        request.session.flush()
    return _secure(response)


def _refused(request: HttpRequest, op: Operation) -> HttpResponse | None:
    """413 over the operation's limit, 411 for a body without a length; reads no body."""
    if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
        return _reply(
            problem(411, "length-required", gettext("Not valid"), gettext("A request body needs a Content-Length."))
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= SMALL_BODY:
        return None
    authorization = request.headers.get("Authorization", "")
    limit = api().body_limit(op.id, lambda: api().signed_in(authorization, None if authorization else request.session))
    if length > limit:
        return _reply(problem(413, "too-large", gettext("Not valid"), gettext("The request body is too large.")))
    return None


@csrf_exempt  # cookie clients are checked by Django's own CSRF check in the API (bearer ones need none)
def api_view(request: HttpRequest, api_path: str, **params: Any) -> HttpResponse:
    ops = _BY_PATH[api_path]
    op = ops.get(request.method or "GET")
    if op is None:
        response = _reply(
            problem(405, "method-not-allowed", gettext("Not possible"), gettext("That method is not allowed here."))
        )
        response["Allow"] = ", ".join(ops)
        return response
    refused = _refused(request, op)
    if refused is not None:
        return refused
    portal_api = api()
    bearer = portal_api.client(dict(request.headers)) == BEARER
    multipart = (request.content_type or "") == "multipart/form-data"
    files = (
        {
            k: [
                Upload(filename=f.name or "", content_type=f.content_type or "", data=f.read())
                for f in request.FILES.getlist(k)
            ]
            for k in request.FILES
        }
        if multipart
        else {}
    )
    req = ApiRequest(
        method=request.method or "GET",
        session={} if bearer else request.session,
        base=request.path[: request.path.index(f"/{API_PREFIX}/")] + f"/{API_PREFIX}",
        headers=dict(request.headers),
        query=request.GET.dict(),
        body=b"" if multipart else request.body,
        form={k: request.POST.getlist(k) for k in request.POST} if multipart else {},
        files=files,
        ip=request.META.get("REMOTE_ADDR", ""),
        csrf_ok=lambda: _csrf_ok(request),
        csrf_token=lambda: get_token(request),
        native=request,
    )
    with get_portal().page_scope():
        return _reply(portal_api.handle(op.id, req, **params), request)


def _django_path(api_path: str) -> str:
    return f"{API_PREFIX}/" + re.sub(r"\{(\w+)\}", r"<str:\1>", api_path.lstrip("/"))


urlpatterns: list[URLPattern] = [
    path(_django_path(api_path), api_view, {"api_path": api_path}, name=f"api-{next(iter(ops.values())).id}")
    for api_path, ops in _BY_PATH.items()
]
__all__ = ["NAMESPACE", "api", "api_view", "urlpatterns"]
