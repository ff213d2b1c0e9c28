"""``path("portal/", include("portalkit.contrib.django.urls"))``: every portal page."""

from __future__ import annotations

import re

from django.urls import URLPattern, path

from ...web import ROUTES
from ...web.routes import WEBHOOKS
from .api import urlpatterns as api_urlpatterns
from .views import NAMESPACE, portal_page, webhook

app_name = NAMESPACE


def _django_path(flask_path: str) -> str:
    """``invoices/<id>/pay`` -> ``invoices/<str:id>/pay``; ``<int:..>`` and ``<path:..>`` stay."""
    return re.sub(r"<(\w+)>", r"<str:\1>", flask_path)


urlpatterns: list[URLPattern] = [
    path(
        _django_path(route.path),
        webhook if route.endpoint in WEBHOOKS else portal_page,
        {"endpoint": route.endpoint},
        name=route.endpoint,
    )
    for route in ROUTES
]
urlpatterns += api_urlpatterns  # the JSON API at api/v1 (portalkit.api, docs/api.md)
