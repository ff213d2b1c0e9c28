"""The Flask host for a WSGI server (docs/deploy.md)::

    gunicorn -c examples/deploy/flask/gunicorn.conf.py examples.flask_host.wsgi:app

Configured from the environment (``examples.common.host.production_portal``); secure cookies
(serve it behind HTTPS); mail and events are delivered by the worker, not the web process.
"""

from __future__ import annotations

from flask import Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ..common.host import production_portal
from . import create_app

HSTS = "max-age=31536000; includeSubDomains"  # browsers keep to HTTPS for a year once they saw it

app = create_app(production_portal(), secure_cookies=True)
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]


@app.after_request
def strict_transport_security(response: Response) -> Response:
    """HSTS on every answer to an HTTPS request (as the proxy reported it)."""
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
