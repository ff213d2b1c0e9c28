"""What an API handler sees and returns; the framework glue translates both (API-1, API-3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import attrs

from .._core.files import Upload


def _never() -> bool:
    return False


def _no_token() -> str:
    return ""


@attrs.frozen(kw_only=True)
class ApiRequest:
    """One API request as the glue hands it over.

    ``session`` is the framework's own session (the pages' one): only a cookie client's request
    reads or writes it. ``base`` is the path the API is mounted at (``/portal/api/v1``), for the
    links a response carries. ``csrf_ok()`` runs the framework's own CSRF check of the
    ``X-CSRFToken`` header and ``csrf_token()`` hands a token out; the core calls them only for
    cookie clients (API-3)."""

    method: str
    session: MutableMapping[str, Any]
    base: str
    headers: Mapping[str, str] = {}
    query: Mapping[str, str] = {}
    body: bytes = b""
    form: Mapping[str, list[str]] = {}
    files: Mapping[str, list[Upload]] = {}
    ip: str = ""
    csrf_ok: Callable[[], bool] = _never
    csrf_token: Callable[[], str] = _no_token
    native: Any = None

    def header(self, name: str) -> str:
        """A request header by its case-insensitive name ('' when absent)."""
        wanted = name.lower()
        return next((str(v) for k, v in self.headers.items() if k.lower() == wanted), "")

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";", 1)[0].strip().lower()


@attrs.frozen(kw_only=True)
class ApiResponse:
    """An answer: its status, body, content type and extra headers. ``session`` tells the glue
    what a cookie client's login or logout did: ``"rotate"`` (a new session id and CSRF secret,
    no fixation) or ``"end"`` (the framework session ended on the server)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    session: str | None = None


def answer(shape: Any, status: int = 200, *, session: str | None = None) -> ApiResponse:
    """``shape`` (an attrs class of ``api.shapes``) as a JSON answer."""
    import msgspec

    return ApiResponse(status=status, body=msgspec.json.encode(shape), session=session)
