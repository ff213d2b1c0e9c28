"""A fake but faithful payment processor: charges are accepted, then settled later.

Like a real processor it answers asynchronously: ``submit`` returns a reference at once and
the outcome comes later, when ``settle_due`` (or a background ``start``-ed thread) calls the
host's webhook (``portal.payments.settle``). Card numbers ending in ``decline_last4`` are
declined at settlement; ``refuse_last4`` ones are refused at once, as a processor outage would.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable

Webhook = Callable[[str, bool, str], Any]


class ProcessorRefused(Exception):
    pass


class FakeProcessor:
    def __init__(self, *, decline_last4: tuple[str, ...] = ("0002",), refuse_last4: tuple[str, ...] = ("0119",)):
        self.decline_last4 = decline_last4
        self.refuse_last4 = refuse_last4
        self._queue: list[tuple[str, bool]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self.submitted: list[str] = []

    def submit(self, payment: Any, method: Any) -> str:
        if method.last4 in self.refuse_last4:
            raise ProcessorRefused("The payment processor refused the charge.")
        with self._lock:
            ref = f"fp_{next(self._ids):06d}_{payment.id[:8]}"
            self._queue.append((ref, method.last4 not in self.decline_last4))
            self.submitted.append(ref)
        return ref

    def pending(self) -> list[str]:
        with self._lock:
            return [ref for ref, _ in self._queue]

    def settle_due(self, webhook: Webhook) -> int:
        """Deliver every queued outcome to ``webhook(ref, succeeded, reason)``; return the count."""
        with self._lock:
            queue, self._queue = self._queue, []
        for ref, ok in queue:
            webhook(ref, ok, "" if ok else "Card declined")
        return len(queue)

    def start(self, webhook: Webhook, every_seconds: float = 5.0) -> threading.Thread:
        """Settle in the background, as a processor's webhooks would, until ``stop()``."""
        def run() -> None:
            while not self._stop.wait(every_seconds):
                self.settle_due(webhook)

        thread = threading.Thread(target=run, name="fake-processor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
