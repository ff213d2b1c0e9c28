"""Transactional outbox: mails and host events are written with the change that caused them
and delivered after commit, with retries and exponential backoff.

Each message has a dedup key, unique in storage, so the same logical message is never queued
twice; a dispatcher claims a message (compare-and-swap on its version) before sending, so two
dispatchers never send the same one. Mails carry the dedup key as their Message-ID, so a resend
after a crash between send and mark is recognisable downstream.

Run the dispatcher in-process (the default: after every portal operation) or as a worker
(``portalkit.worker``: ``python -m portalkit.worker --help``, or Celery, RQ, Django's tasks).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any, Callable

import attrs

from .errors import Conflict, ValidationError
from .events import EVENT_TYPES, Event
from .models import OutboxMessage
from .paging import DEFAULT_LIMIT, Page, fetch
from .ports import Clock, Mail, Mailer, Storage
from .serialization import from_primitive, to_primitive

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES = (PENDING, SENDING, SENT, DEAD)
MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 100  # messages claimed, and marked sent, per write


class Outbox:
    """``emit`` hands a delivered event to the host (the ``portalkit_event`` hook)."""

    def __init__(self, storage: Storage, clock: Clock, mailer: Mailer, emit: Callable[[Event], Any]):
        self._storage, self._clock, self._mailer, self._emit = storage, clock, mailer, emit
        self.track_recent = False  # remember what this thread queued, for dispatch_recent()
        self._recent = threading.local()

    # -- writing (inside the caller's transaction) ---------------------------------------
    def mail(self, mail: Mail, dedup_key: str) -> None:
        self.queue([self.mail_message(mail, dedup_key)])

    def event(self, event: Event) -> None:
        self.queue([self.event_message(event)])

    def mail_message(self, mail: Mail, dedup_key: str) -> OutboxMessage:
        return OutboxMessage(dedup_key=dedup_key, kind="mail", payload=to_primitive(mail), created_at=self._clock.now())

    def event_message(self, event: Event) -> OutboxMessage:
        return OutboxMessage(dedup_key="event:" + event.event_id, kind="event", created_at=self._clock.now(),
                             payload={"name": event.name, "event": to_primitive(event)})

    def queue(self, messages: list[OutboxMessage]) -> None:
        """Write messages; one whose dedup key is already queued is skipped."""
        self._storage.insert_many(messages, skip_existing=True)
        if self.track_recent:
            self._recent_ids().extend(m.id for m in messages)

    def _recent_ids(self) -> list[str]:
        if not hasattr(self._recent, "ids"):
            self._recent.ids = []
        ids: list[str] = self._recent.ids
        return ids

    def messages(self, status: str = PENDING, *, after: str | None = None,
                 limit: int = DEFAULT_LIMIT) -> Page[OutboxMessage]:
        """The messages in ``status`` (pending, sending, sent, dead), newest first; one page."""
        if status not in STATUSES:
            raise ValidationError(f"status is one of {', '.join(STATUSES)}.", field="status")
        return fetch(self._storage, OutboxMessage, order=("created_at",), descending=True, after=after, limit=limit,
                     status=status)

    def retry(self, message_ids: list[str]) -> int:
        """Send these messages again as soon as a worker runs (dead ones included: a mailer
        fixed since, say); how many were queued again. Sent ones stay sent."""
        with self._storage.transaction():
            again = [attrs.evolve(m, status=PENDING, attempts=0, next_attempt_at=None, last_error="")
                     for m in self._storage.get_many(OutboxMessage, message_ids).values() if m.status != SENT]
            self._storage.update_many(again)
        return len(again)

    # -- delivering ----------------------------------------------------------------------
    def pending(self) -> list[OutboxMessage]:
        now = self._clock.now()
        due = [m for m in self._storage.find(OutboxMessage, status=PENDING) if not m.next_attempt_at or m.next_attempt_at <= now]
        stale = [m for m in self._storage.find(OutboxMessage, status=SENDING) if m.next_attempt_at and m.next_attempt_at <= now]
        return sorted(due + stale, key=lambda m: m.created_at)

    def dispatch(self, limit: int | None = None) -> int:
        """Deliver every due message (the worker's job); return how many were delivered."""
        return self._deliver_all(self.pending()[:limit])

    def dispatch_recent(self) -> int:
        """Deliver only what this thread queued since the last call: inline delivery after a
        unit of work commits, in time proportional to that unit, whatever the backlog. Messages
        of a rolled-back unit no longer exist and are passed over; retries are the worker's."""
        ids, self._recent.ids = self._recent_ids(), []
        if not ids:
            return 0
        found = self._storage.get_many(OutboxMessage, ids)
        return self._deliver_all([found[i] for i in ids if i in found and found[i].status == PENDING])

    def _deliver_all(self, messages: list[OutboxMessage]) -> int:
        """Claim a batch in one write, deliver each, mark the delivered ones in one write."""
        delivered = 0
        for start in range(0, len(messages), BATCH):
            sent: list[OutboxMessage] = []
            for claimed in self._claim_batch(messages[start:start + BATCH]):
                try:
                    self._deliver(claimed)
                except Exception as exc:  # delivery failures are retried, never lost
                    log.warning("outbox message %s failed: %s", claimed.dedup_key, exc)
                    self._retry(claimed, exc)
                else:
                    sent.append(claimed)
            if sent:
                now = self._clock.now()
                with self._storage.transaction():
                    self._storage.update_many([attrs.evolve(m, status=SENT, sent_at=now) for m in sent])
            delivered += len(sent)
        return delivered

    def purge(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Delete messages sent (or dead) longer ago than ``older_than``; return how many."""
        cutoff = self._clock.now() - older_than
        with self._storage.transaction():
            done = self._storage.find(OutboxMessage, status=SENT) + self._storage.find(OutboxMessage, status=DEAD)
            old = [m.id for m in done if (m.sent_at or m.next_attempt_at or m.created_at) < cutoff]
            self._storage.delete_many(OutboxMessage, old)
        return len(old)

    def _claim_batch(self, messages: list[OutboxMessage]) -> list[OutboxMessage]:
        """Claim every message in one compare-and-swap write; when another dispatcher got one of
        them first, claim them one by one and keep those still free."""
        if not messages:
            return []
        lease = self._clock.now() + CLAIM_LEASE
        try:
            with self._storage.transaction():
                return self._storage.update_many([attrs.evolve(m, status=SENDING, next_attempt_at=lease)
                                                  for m in messages])
        except Conflict:
            return [claimed for m in messages if (claimed := self._claim(m)) is not None]

    def _claim(self, message: OutboxMessage) -> OutboxMessage | None:
        try:
            with self._storage.transaction():
                return self._storage.update(
                    attrs.evolve(message, status=SENDING, next_attempt_at=self._clock.now() + CLAIM_LEASE)
                )
        except Conflict:
            return None

    def _deliver(self, message: OutboxMessage) -> None:
        if message.kind == "mail":
            mail = from_primitive(message.payload, Mail)
            self._mailer.send(attrs.evolve(mail, message_id=message.dedup_key))
        else:
            cls = EVENT_TYPES[message.payload["name"]]
            self._emit(from_primitive(message.payload["event"], cls))

    def _retry(self, message: OutboxMessage, exc: Exception) -> None:
        attempts = message.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self._finish(message, status=DEAD, attempts=attempts, last_error=str(exc)[:500])
            return
        backoff = timedelta(seconds=min(2 ** attempts, 3600))
        self._finish(message, status=PENDING, attempts=attempts, last_error=str(exc)[:500],
                     next_attempt_at=self._clock.now() + backoff)

    def _finish(self, message: OutboxMessage, **changes: Any) -> None:
        with self._storage.transaction():
            self._storage.update(attrs.evolve(message, **changes))
