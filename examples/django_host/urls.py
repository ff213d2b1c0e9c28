from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def home(request):
    return HttpResponse('<!doctype html><title>Green Acres</title><h1>Green Acres Field Service</h1>'
                        '<p><a href="/portal/">Customer portal</a> · <a href="/portal/staff/login">Staff</a></p>')


urlpatterns = [
    path("", home),
    path("portal/", include("portalkit.contrib.django.urls")),
    path("admin/", admin.site.urls),  # Django's admin: the portal's webhooks, outbox and contacts
]
