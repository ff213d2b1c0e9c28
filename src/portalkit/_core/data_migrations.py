"""The data steps of schema migrations, written once and called by both histories: Alembic's
(``adapters/migrations/versions``, for ``SqlStorage``) and Django's
(``contrib/django/migrations``, for ``DjangoStorage``). Each takes and returns plain rows
(dicts), so neither history reimplements what the other does."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any


def attachment_rows(owners: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """0006 (Alembic) / 0003 (Django): issue and comment files move from a JSON list on their
    row to a table of their own, one row per file in attach order. ``owners`` are rows with
    ``issue_id``, ``comment_id`` (None for an issue's own files), ``company_id`` and
    ``attachments`` (the JSON list, or its text)."""
    rows = []
    for owner in owners:
        files = owner["attachments"]
        for position, a in enumerate((json.loads(files) if isinstance(files, str) else files) or []):
            rows.append(
                {
                    "id": uuid.uuid4().hex,
                    "issue_id": owner["issue_id"],
                    "comment_id": owner["comment_id"],
                    "position": position,
                    "filename": a["filename"],
                    "content_type": a["content_type"],
                    "file_key": a["file_key"],
                    "size": a["size"],
                    "shared": bool(a.get("shared", True)),
                    "company_id": owner["company_id"],
                    "version": 0,
                }
            )
    return rows


STABLE_CODES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("contact", "portal_status", {"Not Enrolled": "not_enrolled", "Invited": "invited", "Enrolled": "enrolled"}),
    (
        "status_event",
        "kind",
        {
            "invitation sent": "invitation_sent",
            "link opened": "link_opened",
            "password changed": "password_changed",
            "email change requested": "email_change_requested",
            "email changed": "email_changed",
        },
    ),
    (
        "staff_user",
        "role",
        {
            "System Administrator": "system_administrator",
            "Branch Administrator": "branch_administrator",
            "Branch Manager": "branch_manager",
            "Account Manager": "account_manager",
        },
    ),
    ("report", "kind", {"Inspection report": "inspection_report", "Service report": "service_report"}),
    (
        "proposal",
        "status",
        {
            "Approved": "approved",
            "Delivered": "delivered",
            "In Production": "in_production",
            "Won": "won",
            "Complete": "complete",
            "Lost": "lost",
        },
    ),
    ("issue", "priority", {"High": "high", "Medium": "medium", "Low": "low"}),
    ("issue", "status", {"Open": "open", "Closed": "closed"}),
)
"""0015 (Alembic) / 0012 (Django): stored enum values become stable codes (issue 22). Each
row is (table without its prefix, column, {English label it was stored as: code}); the words
now live in ``portalkit.labels``. Written out here, not read from the enums, so this step
means the same thing whatever the enums later become."""


def code_changes(*, backwards: bool = False) -> list[tuple[str, str, str, str]]:
    """(table without its prefix, column, stored value, value to store) for each change of
    ``STABLE_CODES``; ``backwards`` gives the labels back (a downgrade)."""
    return [
        (table, column, *((new, old) if backwards else (old, new)))
        for table, column, codes in STABLE_CODES
        for old, new in codes.items()
    ]
