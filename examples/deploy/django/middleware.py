"""The client's address behind the proxy, for Django (Werkzeug's ProxyFix does this for Flask).

Behind nginx every request comes from the proxy's address, so the portal's per-address sign-in
limits (``login_max_failures_per_ip``) would count every client as one. This sets
``REMOTE_ADDR`` to the address the proxy saw — the last entry of ``X-Forwarded-For``, which the
proxy appended — but only for requests that come from a trusted proxy (``FORWARDED_ALLOW_IPS``,
as gunicorn's option of that name): a client cannot choose its own address.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import Any


def _trusted() -> frozenset[str]:
    return frozenset(a.strip() for a in os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1").split(",") if a.strip())


class ClientAddressFromProxy:
    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response
        self.trusted = _trusted()

    def __call__(self, request: Any) -> Any:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and request.META.get("REMOTE_ADDR") in self.trusted:
            client = forwarded.split(",")[-1].strip()
            try:
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
            except ValueError:
                pass  # not an address: keep the proxy's
        return self.get_response(request)
