"""The portal's JSON API (issue 27): everything a signed-in contact does in the pages, for a
host's mobile app or single-page front end, with an OpenAPI 3.1 document generated from the
route table. Both integrations mount it below the portal's prefix at ``api/v1``
(``portalkit.contrib.flask``, ``portalkit.contrib.django.urls``); docs/api.md tells how to use it.
"""

from .core import BEARER, COOKIE, CSRF_HEADER, Call, Operation, PortalApi, csrf_problem
from .http import ApiRequest, ApiResponse
from .openapi import document
from .routes import OPERATIONS

API_PREFIX = "api/v1"

__all__ = [
    "API_PREFIX",
    "BEARER",
    "COOKIE",
    "CSRF_HEADER",
    "OPERATIONS",
    "ApiRequest",
    "ApiResponse",
    "Call",
    "Operation",
    "PortalApi",
    "csrf_problem",
    "document",
]
