"""portalkit's default plugin: the system clock, the dependency-free PDF renderer and files on
the local filesystem.

It is registered first, so any host plugin answering the same hook wins.
"""

from __future__ import annotations

from ..clock import SystemClock
from ..hookspecs import hookimpl
from .files import LocalFileStore
from .pdf import FpdfRenderer


@hookimpl
def portalkit_clock() -> SystemClock:
    return SystemClock()


@hookimpl
def portalkit_pdf_renderer() -> FpdfRenderer:
    return FpdfRenderer()


@hookimpl
def portalkit_file_store() -> LocalFileStore:
    return LocalFileStore()
