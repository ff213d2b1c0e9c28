"""One Django view serves every portal page, on Django's CSRF protection, sessions and users.

Each page takes a request body of at most its route's limit (``PortalWeb.body_limit``): a larger
Content-Length is answered 413, and a body streamed without one (``Transfer-Encoding``) 411,
before anything reads the body. Django's CSRF check reads the form, so it must come after: the
view is ``csrf_exempt`` for the middleware and applies the same check itself (``csrf_protect``).
``PORTALKIT["FRAME_ANCESTORS"]`` (``"'none'"``) is who may frame the pages.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.middleware.csrf import get_token, rotate_token
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from markupsafe import Markup

from ..._core.files import Upload
from ...errors import PortalError
from ...models import Permission, StaffUser
from ...web import ROUTES, FileResponse, PageRequest, PortalWeb, Redirect, Reply, Result
from ...web.routes import SMALL_BODY
from .conf import get_portal, options

NAMESPACE = "portalkit"
_PATH_PARAMS = {r.endpoint: re.findall(r"<(?:\w+:)?(\w+)>", r.path) for r in ROUTES}
_METHODS = {r.endpoint: r.methods for r in ROUTES}
_lock = threading.Lock()
_web: PortalWeb | None = None
_web_frames: object = None


def web() -> PortalWeb:
    """The pages of the host's portal, built on first use (again when the portal or
    ``PORTALKIT["FRAME_ANCESTORS"]`` changed)."""
    global _web, _web_frames
    frames = options().get("FRAME_ANCESTORS", "'none'")
    with _lock:
        if _web is None or _web.portal is not get_portal() or _web_frames != frames:
            dirs = [d for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
            _web = PortalWeb(
                get_portal(),
                host_template_dirs=dirs,
                staff_signin=_staff_signin,
                staff_signout=_staff_signout,
                frame_ancestors=frames,
            )
            _web_frames = frames
        return _web


@csrf_exempt  # only so that the body's size is checked first: _page is csrf_protect'ed
def portal_page(request: HttpRequest, endpoint: str, **params: Any) -> HttpResponse:
    if request.method not in _METHODS[endpoint]:
        return HttpResponseNotAllowed(list(_METHODS[endpoint]))
    refused = _refuse_body(request, endpoint)
    return refused if refused is not None else _page(request, endpoint, **params)


def _refuse_body(request: HttpRequest, endpoint: str) -> HttpResponse | None:
    """413 when the declared body is over the page's limit, 411 for a body streamed without a
    length (Transfer-Encoding: Django would read none of it); None when the request may go on.
    Reads no body; no Content-Length (or a malformed one) is an empty body, as Django reads it."""
    if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
        return _secure(
            HttpResponse(
                b"A request body needs a Content-Length.", status=411, content_type="text/plain; charset=utf-8"
            )
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= SMALL_BODY:  # any page takes this much: no need to ask who is here
        return None
    limit = web().body_limit(
        endpoint, customer=lambda: web().signed_in(request.session), staff=lambda: staff_user(request) is not None
    )
    if length > limit:
        return _secure(
            HttpResponse(b"The request body is too large.", status=413, content_type="text/plain; charset=utf-8")
        )
    return None


@csrf_protect  # Django's CSRF check (CsrfViewMiddleware's own), after the body-size check
def _page(request: HttpRequest, endpoint: str, **params: Any) -> HttpResponse:
    pages = web()
    if endpoint == "static":
        try:
            return _secure(_file(pages.static_file(params["name"]), cache=True))
        except PortalError as exc:
            raise Http404() from exc
    files = {
        k: [
            Upload(filename=f.name or "", content_type=f.content_type or "", data=f.read())
            for f in request.FILES.getlist(k)
        ]
        for k in request.FILES
    }
    req = PageRequest(
        method=request.method or "GET",
        session=request.session,
        args=request.GET.dict(),
        form={k: request.POST.getlist(k) for k in request.POST},
        files=files,
        ip=request.META.get("REMOTE_ADDR", ""),
        staff=staff_user(request),
        native=request,
        headers=dict(request.headers),
        host_language=getattr(request, "LANGUAGE_CODE", "") or "",
        url=request.build_absolute_uri(),
    )
    with get_portal().settings.pinned():  # one read of the settings for the page and its headers
        return _secure(_respond(pages, pages.handle(endpoint, req, **params), req, request))


def url(endpoint: str, **params: Any) -> str:
    """The URL of a portal page; parameters that are not in its path go in the query string."""
    path = {k: v for k, v in params.items() if k in _PATH_PARAMS[endpoint]}
    query = {k: v for k, v in params.items() if k not in path and v is not None}
    address = reverse(f"{NAMESPACE}:{endpoint}", kwargs=path)
    return address + ("?" + urlencode(query) if query else "")


def _respond(pages: PortalWeb, result: Result, req: PageRequest, request: HttpRequest) -> HttpResponse:
    if isinstance(result, Redirect):
        if result.session == "rotate":
            request.session.cycle_key()  # a new session id at every login: no fixation
            rotate_token(request)  # and a new CSRF secret, as django.contrib.auth.login does
        elif result.session == "end":
            request.session.flush()
        return HttpResponseRedirect(url(result.endpoint, **result.params), status=303)
    if isinstance(result, FileResponse):
        return _file(result)
    if isinstance(result, Reply):
        return HttpResponse(result.body, status=result.status, content_type=result.content_type)
    html = pages.render(
        result,
        req,
        url=url,
        static=lambda name: url("static", name=name),
        csrf_field=lambda: Markup('<input type="hidden" name="csrfmiddlewaretoken" value="{}">').format(
            get_token(request)
        ),
    )
    response = HttpResponse(html, status=result.status, content_type="text/html; charset=utf-8")
    if result.status == 429:  # too busy (LoginsBusy): when to come back
        response["Retry-After"] = str(result.context.get("retry_after", 1))
    return response


def _file(result: FileResponse, cache: bool = False) -> HttpResponse:
    response = HttpResponse(result.data, content_type=result.content_type)
    response["Content-Disposition"] = f'{"inline" if result.inline else "attachment"}; filename="{result.filename}"'
    if cache:
        response["Cache-Control"] = "public, max-age=3600"
    return response


def _secure(response: HttpResponse) -> HttpResponse:
    for name, value in web().security_headers():
        if name not in response:
            response[name] = value
    return response


@csrf_exempt  # a webhook is no browser form: its sender's signature authenticates it instead
def webhook(request: HttpRequest, endpoint: str) -> HttpResponse:
    """The payment processor's or the text-message provider's webhook (``web.routes.WEBHOOKS``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    refused = _refuse_body(request, endpoint)
    if refused is not None:
        return refused
    body = request.body  # read before the form is parsed from it
    req = PageRequest(
        method="POST",
        session={},
        headers=dict(request.headers),
        body=body,
        native=request,
        form={k: request.POST.getlist(k) for k in request.POST},
        url=request.build_absolute_uri(),
    )
    return _respond(web(), web().handle(endpoint, req), req, request)


# -- staff: Django's own users ----------------------------------------------------------------------
def staff_user(request: HttpRequest) -> StaffUser | None:
    """The signed-in Django user as a portalkit staff user, when ``is_staff`` and active; its
    permissions are the Django permissions ``portalkit.<name>`` it holds."""
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff or not user.is_active:
        return None
    granted = frozenset(p for p in Permission if user.has_perm(f"portalkit.{p.value}"))
    return StaffUser(
        id=f"django-{user.pk}",
        email=user.email or f"{user.get_username()}@staff.invalid",
        name=user.get_full_name() or user.get_username(),
        permissions=granted,
        company_id=get_portal().settings.company_id,
    )


def _staff_signin(req: PageRequest, email: str, password: str) -> bool:
    from django.contrib.auth import get_user_model

    request: HttpRequest = req.native
    users = get_user_model()._default_manager.filter(email__iexact=email) if email else []
    for candidate in users:
        user = auth.authenticate(request, username=candidate.get_username(), password=password)
        if user is not None and user.is_staff and user.is_active:
            auth.login(request, user)  # Django rotates the session id
            request.session.set_expiry(int(float(options().get("STAFF_SESSION_HOURS", 8)) * 3600))
            return True
    return False


def _staff_signout(req: PageRequest) -> None:
    auth.logout(req.native)
