"""Errors as problem details (RFC 9457, ``application/problem+json``), API-4.

Every typed refusal of the services becomes a problem whose ``detail`` is the error's
``public_message`` (already in the caller's language) and whose ``type`` names the kind of
refusal; a ``ValidationError`` adds the ``field`` it is about and ``errors``. Anything
unexpected is a generic 500 and a log line, never a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..errors import (
    AlreadySignedUp,
    AuthenticationFailed,
    Conflict,
    InvalidToken,
    InvalidTransition,
    LoginsBusy,
    NotFound,
    PermissionDenied,
    PortalError,
    SecondStepRequired,
    SessionExpired,
    StorageError,
    TooManyAttempts,
    ValidationError,
)
from ..i18n import N_, gettext
from .http import ApiResponse

log = logging.getLogger(__name__)
PROBLEM_TYPE = "application/problem+json"
_PREFIX = "urn:portalkit:problem:"

# (error class, status, type, title), most specific first
_KINDS: tuple[tuple[type[PortalError], int, str, str], ...] = (
    (TooManyAttempts, 429, "too-many-attempts", N_("Too many attempts")),
    (LoginsBusy, 429, "busy", N_("Too many requests")),
    (SessionExpired, 401, "not-signed-in", N_("Not signed in")),
    (AuthenticationFailed, 401, "authentication-failed", N_("Not signed in")),
    (SecondStepRequired, 401, "second-step-required", N_("Not signed in")),  # no token: the pages take the step
    (NotFound, 404, "not-found", N_("Not found")),
    (PermissionDenied, 403, "forbidden", N_("Not allowed")),
    (ValidationError, 422, "invalid", N_("Not valid")),
    (InvalidToken, 400, "invalid-token", N_("Not valid")),
    (AlreadySignedUp, 409, "already-signed-up", N_("Not possible")),
    (InvalidTransition, 409, "not-now", N_("Not possible")),
    (Conflict, 409, "conflict", N_("Not possible")),
    (StorageError, 503, "unavailable", N_("Something went wrong")),
)


def problem(
    status: int, kind: str, title: str, detail: str, *, headers: tuple[tuple[str, str], ...] = (), **extra: Any
) -> ApiResponse:
    """A problem-details answer; ``extra`` members (``field``, ``errors``, ``retry_after``) are
    left out when None."""
    body = {
        "type": _PREFIX + kind,
        "title": title,
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return ApiResponse(status=status, body=json.dumps(body).encode(), content_type=PROBLEM_TYPE, headers=headers)


def from_error(exc: PortalError) -> ApiResponse:
    """The problem of a typed refusal; 429s say when to come back (``Retry-After``)."""
    status, kind, title = 400, "refused", N_("Not possible")
    for cls, code, name, heading in _KINDS:
        if isinstance(exc, cls):
            status, kind, title = code, name, heading
            break
    headers: tuple[tuple[str, str], ...] = ()
    retry = getattr(exc, "retry_after_seconds", None)
    if status == 429 and isinstance(retry, int):
        headers = (("Retry-After", str(max(1, retry))),)
    field = exc.field if isinstance(exc, ValidationError) else None
    errors = [{"field": field, "detail": exc.public_message}] if field else None
    return problem(
        status,
        kind,
        gettext(title),
        exc.public_message,
        headers=headers,
        field=field,
        errors=errors,
        retry_after=retry if status == 429 else None,
    )


def unexpected(operation: str) -> ApiResponse:
    """Anything that is no typed refusal: logged with its traceback, answered without it."""
    log.exception("error in portal API operation %s", operation)
    return problem(500, "server-error", gettext("Something went wrong"), gettext("Please try again in a moment."))


__all__ = ["PROBLEM_TYPE", "from_error", "problem", "unexpected"]
