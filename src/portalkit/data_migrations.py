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
