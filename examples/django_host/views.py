"""Django reference host: translates Django requests for the shared PortalSite."""

from __future__ import annotations

import mimetypes
import threading

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..common.host import build_site
from portalkit import Attachment

from ..common.site import STATIC_DIR, PortalSite, Request

_site: PortalSite | None = None
_lock = threading.Lock()


def site() -> PortalSite:
    """The host's one portal, built on first use (tests may install their own with ``use_site``)."""
    global _site
    with _lock:
        if _site is None:
            _site = build_site(settings.PORTALKIT_DB_URL, base_url=settings.PORTALKIT_BASE_URL)
        return _site


def use_site(custom: PortalSite) -> None:
    global _site
    _site = custom


def static_file(request, name: str):
    path = (STATIC_DIR / name).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        raise Http404()
    return HttpResponse(path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


@csrf_exempt  # the portal pages carry their own per-session CSRF token
def portal_page(request, path: str):
    files = {k: [Attachment(filename=f.name, content_type=f.content_type or "application/octet-stream", data=f.read())
                 for f in request.FILES.getlist(k)] for k in request.FILES}
    before = request.session.get("token")
    req = Request(method=request.method, path="/" + path, session=request.session, args=request.GET.dict(),
                  form={k: request.POST.getlist(k) for k in request.POST}, files=files,
                  ip=request.META.get("REMOTE_ADDR", ""))
    res = site().handle(req)
    if request.session.get("token") != before:
        request.session.cycle_key()  # a new login gets a new session id
    response = HttpResponse(res.body, status=res.status, content_type=res.content_type)
    for name, value in res.headers:
        response[name] = value
    return response
