"""Server-side sessions of staff users, for hosts whose framework keeps its session in a signed
cookie (Flask): the cookie holds only a random session id, the record says whose it is and since
when, so logging out ends every copy of the cookie, and the glue loads the host's user — and its
permissions — afresh on every request from the id (ASVS V3.3). Django keeps its own sessions on
the server and needs none of this.
"""

from __future__ import annotations

from datetime import timedelta

from .. import inputs
from .._core.uow import UnitOfWork
from ..models import StaffSession
from ..ports import Clock, Storage


class StaffSessions:
    def __init__(self, storage: Storage, clock: Clock, uow: UnitOfWork):
        self._storage, self._clock, self._uow = storage, clock, uow

    def start(self, staff_id: str) -> str:
        """A new session of the host's staff user ``staff_id``; its id, for the cookie."""
        with self._uow():
            return self._storage.insert(
                StaffSession(staff_id=inputs.text(staff_id, "staff_id", max_length=200), created_at=self._clock.now())
            ).id

    def staff_id(self, session_id: object, lifetime: timedelta) -> str | None:
        """Whose session ``session_id`` is, while it lasts; ``None`` once ended or too old."""
        if not isinstance(session_id, str) or not 16 <= len(session_id) <= 64:
            return None
        found = self._storage.get(StaffSession, session_id)
        if found is None or self._clock.now() - found.created_at > lifetime:
            return None
        return found.staff_id

    def end(self, session_id: object) -> None:
        """Log out: the session (and every copy of its cookie) stops working at once."""
        if isinstance(session_id, str):
            with self._uow():
                self._storage.delete_many(StaffSession, [session_id])

    def end_all(self, staff_id: str) -> int:
        """End every session of a staff user (the host removed them, say); how many there were."""
        with self._uow():
            ids = [s.id for s in self._storage.find(StaffSession, staff_id=staff_id)]
            self._storage.delete_many(StaffSession, ids)
        return len(ids)

    def purge(self, lifetime: timedelta) -> int:
        """Delete sessions older than ``lifetime`` (the worker runs this); how many."""
        cutoff = self._clock.now() - lifetime
        with self._uow():
            old = [s.id for s in self._storage.find(StaffSession) if s.created_at < cutoff]
            self._storage.delete_many(StaffSession, old)
        return len(old)
