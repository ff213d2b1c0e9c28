"""The portal's pages, framework-neutral: handlers, routes and Jinja templates.

``portalkit.contrib.flask`` and ``portalkit.contrib.django`` mount them on each framework's own
sessions, CSRF protection and users. A host overrides any template by putting a file of the
same name in ``<its template folder>/portalkit/``.
"""

from .http import FileResponse, Page, PageRequest, Redirect, Reply, Result
from .routes import ROUTES, Route
from .site import PortalWeb

__all__ = ["ROUTES", "FileResponse", "Page", "PageRequest", "PortalWeb", "Redirect", "Reply", "Result", "Route"]
