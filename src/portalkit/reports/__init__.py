"""Inspection and service reports of a visit (VIS-3).

The names below are the package's public surface (each loaded from its private module
when first used); the modules themselves are private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import exports

if TYPE_CHECKING:
    from ._reports import (
        FORM_PROPERTIES,
        MAX_REPORT_BYTES,
        Reports,
        StaffReport,
    )

__all__ = [
    "FORM_PROPERTIES",
    "MAX_REPORT_BYTES",
    "Reports",
    "StaffReport",
]

exports(
    __name__,
    {
        "FORM_PROPERTIES": "_reports",
        "MAX_REPORT_BYTES": "_reports",
        "Reports": "_reports",
        "StaffReport": "_reports",
    },
)
