"""Who is who: customers, properties, contacts and staff (``_directory``), and contacts' mobile
numbers and notice choices (``_phones``).

The names below are the package's public surface (each loaded from its private module
when first used); the modules themselves are private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import exports

if TYPE_CHECKING:
    from ._directory import (
        Directory,
        check_names,
        contact_by_email,
        lookup,
        normalise_email,
    )
    from ._phones import (
        CODE_ATTEMPTS,
        CODE_MINUTES,
        CODES_PER_HOUR,
        MOBILE_TYPES,
        START_WORDS,
        STOP_WORDS,
        Phones,
        e164,
    )

__all__ = [
    "CODES_PER_HOUR",
    "CODE_ATTEMPTS",
    "CODE_MINUTES",
    "Directory",
    "MOBILE_TYPES",
    "Phones",
    "START_WORDS",
    "STOP_WORDS",
    "check_names",
    "contact_by_email",
    "e164",
    "lookup",
    "normalise_email",
]

exports(
    __name__,
    {
        "Directory": "_directory",
        "check_names": "_directory",
        "contact_by_email": "_directory",
        "lookup": "_directory",
        "normalise_email": "_directory",
        "CODES_PER_HOUR": "_phones",
        "CODE_ATTEMPTS": "_phones",
        "CODE_MINUTES": "_phones",
        "MOBILE_TYPES": "_phones",
        "Phones": "_phones",
        "START_WORDS": "_phones",
        "STOP_WORDS": "_phones",
        "e164": "_phones",
    },
)
