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
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.serialization import from_primitive, to_primitive
from ..errors import Conflict, ValidationError
from ..events import EVENT_TYPES, Event
from ..models import OutboxKind, OutboxMessage, OutboxStatus
from ..ports import Clock, Mail, Mailer, Not, Storage, TextMessage, TextMessenger

log = logging.getLogger("portalkit.outbox")  # its name before the move (issue 22): hosts filter and alert on it

PENDING, SENDING, SENT, DEAD = OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.DEAD
STATUSES = (PENDING, SENDING, SENT, DEAD)
MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 100  # messages claimed, and marked sent, per write
PURGE_BATCH = 1000  # old messages deleted per transaction


class Outbox:
    """``emit`` hands a delivered event to the host (the ``portalkit_event`` hook)."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        mailer: Mailer,
        emit: Callable[[Event], Any],
        texts: TextMessenger | None = None,
    ):
        self._storage, self._clock, self._mailer, self._emit = storage, clock, mailer, emit
        self.texts = texts  # text messages (notify's "text" channel) go to it
        self.track_recent = False  # remember what this thread queued, for dispatch_recent()
        self._recent = threading.local()

    # -- writing (inside the caller's transaction) ---------------------------------------
    def mail(self, mail: Mail, dedup_key: str) -> None:
        self.queue([self.mail_message(mail, dedup_key)])

    def event(self, event: Event) -> None:
        self.queue([self.event_message(event)])

    def mail_message(self, mail: Mail, dedup_key: str) -> OutboxMessage:
        return OutboxMessage(
            dedup_key=dedup_key, kind=OutboxKind.MAIL, payload=to_primitive(mail), created_at=self._clock.now()
        )

    def event_message(self, event: Event) -> OutboxMessage:
        return OutboxMessage(
            dedup_key="event:" + event.event_id,
            kind=OutboxKind.EVENT,
            created_at=self._clock.now(),
            payload={"name": event.name, "event": to_primitive(event)},
        )

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

    def messages(
        self, status: str = PENDING, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[OutboxMessage]:
        """The messages in ``status`` (pending, sending, sent, dead), newest first; one page."""
        if status not in STATUSES:
            raise ValidationError(f"status is one of {', '.join(STATUSES)}.", field="status")
        return fetch(
            self._storage,
            OutboxMessage,
            order=("created_at",),
            descending=True,
            after=after,
            limit=limit,
            status=status,
        )

    def retry(self, message_ids: list[str]) -> int:
        """Send these messages again as soon as a worker runs (dead ones included: a mailer
        fixed since, say); how many were queued again. Sent ones stay sent."""
        with self._storage.transaction():
            again = [
                attrs.evolve(m, status=PENDING, attempts=0, next_attempt_at=None, last_error="")
                for m in self._storage.get_many(OutboxMessage, message_ids).values()
                if m.status != SENT
            ]
            self._storage.update_many(again)
        return len(again)

    # -- delivering ----------------------------------------------------------------------
    def pending(self, limit: int | None = None) -> list[OutboxMessage]:
        """The due messages, oldest first: at most ``limit`` (read as ``dispatch`` reads them, a
        bounded batch), or every one (an inspection helper: ``dispatch`` never reads them all)."""
        if limit is not None:
            return self._due(limit)
        now = self._clock.now()
        due = [
            m
            for m in self._storage.find(OutboxMessage, status=PENDING)
            if not m.next_attempt_at or m.next_attempt_at <= now
        ]
        stale = [
            m
            for m in self._storage.find(OutboxMessage, status=SENDING)
            if m.next_attempt_at and m.next_attempt_at <= now
        ]
        return sorted(due + stale, key=lambda m: m.created_at)

    def _due(self, limit: int, lock: bool = False) -> list[OutboxMessage]:
        """The next ``limit`` due messages, oldest first, in three bounded index reads (issue 25):
        new ones in the order they were queued, retries whose time has come and claims whose
        lease ran out (a dispatcher that died), each earliest due first, ``limit`` at most, so a
        backlog of any size costs what a short queue does. With ``lock`` (inside the claiming
        transaction) the rows are locked as they are read and rows another dispatcher holds are
        skipped (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so dispatchers never wait on each
        other or claim the same message."""
        now = self._clock.now()
        options: dict[str, Any] = {"skip_locked": True} if lock and _skips_locked(self._storage) else {}
        page = self._storage.page
        new = page(OutboxMessage, order=("created_at",), limit=limit, status=PENDING, next_attempt_at=None, **options)
        later = [
            m
            for status in (PENDING, SENDING)
            for m in page(
                OutboxMessage,
                order=("next_attempt_at",),
                limit=limit,
                status=status,
                next_attempt_at=Not(None),
                **options,
            )
        ]
        due = new + [m for m in later if m.next_attempt_at is not None and m.next_attempt_at <= now]
        return sorted(due, key=lambda m: (m.created_at, m.id))[:limit]

    def dispatch(self, limit: int | None = None) -> int:
        """Deliver the due messages (the worker's job), ``limit`` at most; return how many were
        delivered. Each round claims a bounded batch (``BATCH``) in one transaction, delivers it
        and marks it sent, until nothing is due."""
        delivered = taken = 0
        while limit is None or taken < limit:
            size = BATCH if limit is None else min(BATCH, limit - taken)
            claimed = self._claim_due(size)
            taken += len(claimed)
            delivered += self._deliver_claimed(claimed)
            if len(claimed) < size:  # nothing more is due (or other dispatchers hold the rest)
                break
        return delivered

    def dispatch_recent(self) -> int:
        """Deliver only what this thread queued since the last call: inline delivery after a
        unit of work commits, in time proportional to that unit, whatever the backlog. Messages
        of a rolled-back unit no longer exist and are passed over; those held for later (a text
        in the contact's quiet hours) and retries are the worker's."""
        ids, self._recent.ids = self._recent_ids(), []
        if not ids:
            return 0
        found, now = self._storage.get_many(OutboxMessage, ids), self._clock.now()
        return self._deliver_all(
            [
                m
                for m in (found[i] for i in ids if i in found)
                if m.status == PENDING and (m.next_attempt_at is None or m.next_attempt_at <= now)
            ]
        )

    def _deliver_all(self, messages: list[OutboxMessage]) -> int:
        """Claim a batch in one write, deliver each, mark the delivered ones in one write."""
        delivered = 0
        for start in range(0, len(messages), BATCH):
            delivered += self._deliver_claimed(self._claim_batch(messages[start : start + BATCH]))
        return delivered

    def _deliver_claimed(self, claimed: list[OutboxMessage]) -> int:
        sent: list[OutboxMessage] = []
        for message in claimed:
            try:
                self._deliver(message)
            except Exception as exc:  # delivery failures are retried, never lost
                log.warning("outbox message %s failed: %s", message.dedup_key, exc)
                self._retry(message, exc)
            else:
                sent.append(message)
        if sent:
            now = self._clock.now()
            with self._storage.transaction():
                self._storage.update_many([attrs.evolve(m, status=SENT, sent_at=now) for m in sent])
        return len(sent)

    def purge(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Delete messages sent (or dead) longer ago than ``older_than``; return how many. Reads
        them oldest first in bounded pages and stops at the first one queued after the cutoff
        (no message is sent, retried or dead before it was queued)."""
        cutoff = self._clock.now() - older_than
        purged = 0
        for status in (SENT, DEAD):
            after: OutboxMessage | None = None
            while True:
                with self._storage.transaction():
                    batch = self._storage.page(
                        OutboxMessage, order=("created_at",), limit=PURGE_BATCH, after=after, status=status
                    )
                    old = [m.id for m in batch if (m.sent_at or m.next_attempt_at or m.created_at) < cutoff]
                    self._storage.delete_many(OutboxMessage, old)
                purged += len(old)
                if len(batch) < PURGE_BATCH or batch[-1].created_at >= cutoff:
                    break
                after = batch[-1]
        return purged

    def _claim_due(self, size: int) -> list[OutboxMessage]:
        """Read the next ``size`` due messages and claim them, in one transaction; when another
        dispatcher (on a storage that cannot skip locked rows) changed one of them first, claim
        them one by one and keep those still free."""
        lease = self._clock.now() + CLAIM_LEASE
        try:
            with self._storage.transaction():
                due = self._due(size, lock=True)
                return self._storage.update_many([attrs.evolve(m, status=SENDING, next_attempt_at=lease) for m in due])
        except Conflict:
            return [claimed for m in self._due(size) if (claimed := self._claim(m)) is not None]

    def _claim_batch(self, messages: list[OutboxMessage]) -> list[OutboxMessage]:
        """Claim every message in one compare-and-swap write; when another dispatcher got one of
        them first, claim them one by one and keep those still free."""
        if not messages:
            return []
        lease = self._clock.now() + CLAIM_LEASE
        try:
            with self._storage.transaction():
                return self._storage.update_many(
                    [attrs.evolve(m, status=SENDING, next_attempt_at=lease) for m in messages]
                )
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
        """By kind: a mail to the mailer, a text message to the text messenger, an event to the host."""
        if message.kind is OutboxKind.MAIL:
            mail = from_primitive(message.payload, Mail)
            self._mailer.send(attrs.evolve(mail, message_id=message.dedup_key))
        elif message.kind is OutboxKind.TEXT:
            if self.texts is None:
                raise RuntimeError("a text message was queued but no text messenger is configured")
            self.texts.send(from_primitive(message.payload, TextMessage))
        else:
            cls = EVENT_TYPES[message.payload["name"]]
            self._emit(from_primitive(message.payload["event"], cls))

    def _retry(self, message: OutboxMessage, exc: Exception) -> None:
        attempts = message.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self._finish(message, status=DEAD, attempts=attempts, last_error=str(exc)[:500])
            return
        backoff = timedelta(seconds=min(2**attempts, 3600))
        self._finish(
            message,
            status=PENDING,
            attempts=attempts,
            last_error=str(exc)[:500],
            next_attempt_at=self._clock.now() + backoff,
        )

    def _finish(self, message: OutboxMessage, **changes: Any) -> None:
        with self._storage.transaction():
            self._storage.update(attrs.evolve(message, **changes))


def _skips_locked(storage: Storage) -> bool:
    """Whether ``storage`` (or the shared storage under a company's) takes ``page(...,
    skip_locked=True)``: the storages portalkit ships do; a host's own may not."""
    return bool(getattr(getattr(storage, "shared", storage), "supports_skip_locked", False))
