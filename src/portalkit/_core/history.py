"""A contact's portal status history (INV-8): one line per invitation, opening, registration, ..."""

from __future__ import annotations

from ..models import HistoryKind, StatusEvent
from ..ports import Clock, Storage


def record(storage: Storage, clock: Clock, contact_id: str, kind: HistoryKind, detail: str = "") -> StatusEvent:
    """Write one history line inside the caller's transaction."""
    return storage.insert(StatusEvent(contact_id=contact_id, kind=kind, at=clock.now(), detail=detail))
