"""portalkit's default plugin: the system clock and the dependency-free PDF renderer.

It is registered first, so any host plugin answering the same hook wins.
"""

from __future__ import annotations

from ..clock import SystemClock
from ..hookspecs import hookimpl
from .pdf import SimplePdfRenderer


@hookimpl
def portalkit_clock() -> SystemClock:
    return SystemClock()


@hookimpl
def portalkit_pdf_renderer() -> SimplePdfRenderer:
    return SimplePdfRenderer()
