"""Issues: opened by contacts with photos, commented on by both sides (ISS).

The names below are the package's public surface (each loaded from its private module
when first used); the modules themselves are private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import exports

if TYPE_CHECKING:
    from ._issues import (
        MAX_SUBJECT,
        IssueFilter,
        Issues,
        StaffIssue,
    )

__all__ = [
    "IssueFilter",
    "Issues",
    "MAX_SUBJECT",
    "StaffIssue",
]

exports(
    __name__,
    {
        "IssueFilter": "_issues",
        "Issues": "_issues",
        "MAX_SUBJECT": "_issues",
        "StaffIssue": "_issues",
    },
)
