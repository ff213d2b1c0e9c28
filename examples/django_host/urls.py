from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.urls import include, path, reverse
from django.views.decorators.http import require_POST

from portalkit import PermissionDenied
from portalkit.contrib.django.conf import get_portal
from portalkit.contrib.django.views import staff_user
from portalkit.web.customer import FLASH

from ..common.demo import SETTLE_PATH, settle_now


def home(request):
    return HttpResponse(
        "<!doctype html><title>Green Acres</title><h1>Green Acres Field Service</h1>"
        '<p><a href="/portal/">Customer portal</a> · <a href="/portal/staff/login">Staff</a></p>'
    )


@require_POST  # Django's CSRF middleware checks the form's token (the portal's csrf_field)
def settle_payments(request: HttpRequest) -> HttpResponse:
    """The demo's "Let the test processor answer now" (examples/common/demo.py): staff with the
    billing permission."""
    staff = staff_user(request)
    if staff is None:
        return HttpResponseRedirect(reverse("portalkit:staff_login"))
    try:
        request.session[FLASH] = settle_now(get_portal(), staff)  # shown on the portal's next page
    except PermissionDenied:
        return HttpResponseForbidden("Only staff with the billing permission can do this.")
    return HttpResponseRedirect(reverse("portalkit:staff_payments"))


urlpatterns = [
    path("", home),
    path(SETTLE_PATH.lstrip("/"), settle_payments),
    path("portal/", include("portalkit.contrib.django.urls")),
    path("admin/", admin.site.urls),  # Django's admin: the portal's webhooks, outbox and contacts
]
