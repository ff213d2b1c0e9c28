"""The portal's background work, for whatever runs it: the plain worker command here, Celery,
RQ or Django's tasks (``portalkit.contrib.celery``, ``portalkit.contrib.rq``,
``portalkit.contrib.django.tasks``) all call the same two functions.

- ``deliver(portal)``: the outbox — mail and host events queued by each operation (every few
  seconds).
- ``maintain(portal)``: purge old outbox messages and login sessions, reconcile payments left
  open with the processor, and charge what autopay consents and payment plans cover (every ten
  minutes).

The command::

    python -m portalkit.worker --factory myapp.portal:build [--interval 2] [--once]

``--factory`` names a callable returning the host's :class:`portalkit.Portal` (built with
``dispatch_inline=False``) or a list of them (one per company on a shared storage). ``--once``
does one round of both and prints what it did; without it the worker runs until stopped.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .portal import Portal

log = logging.getLogger(__name__)
MAINTAIN_EVERY_SECONDS = 600.0
KEEP = timedelta(days=30)
STAFF_SESSIONS_KEPT = timedelta(hours=24)  # longer than any staff session lasts


@attrs.frozen
class Done:
    """What one round did for one company."""

    company: str
    delivered: int = 0
    purged: int = 0
    sessions_ended: int = 0
    reconciled: int = 0
    autopay_started: int = 0
    instalments_started: int = 0

    def __str__(self) -> str:
        return (
            f"{self.company}: delivered {self.delivered} message(s), reconciled {self.reconciled} payment(s), "
            f"started {self.autopay_started} automatic payment(s) and {self.instalments_started} plan "
            f"instalment(s), purged {self.purged} old message(s) and {self.sessions_ended} session(s)"
        )

    @property
    def anything(self) -> bool:
        return any(
            (
                self.delivered,
                self.purged,
                self.sessions_ended,
                self.reconciled,
                self.autopay_started,
                self.instalments_started,
            )
        )


def deliver(portal: Portal) -> Done:
    """Deliver the company's due outbox messages."""
    return Done(portal.settings.company_id, delivered=portal.outbox.dispatch())


def maintain(portal: Portal, keep: timedelta = KEEP) -> Done:
    """Purge, reconcile open payments with the processor (none stays pending for ever), run
    autopay (invoices due under a standing consent) and charge the payment plans' instalments due
    today in the company's time zone."""
    return Done(
        portal.settings.company_id,
        purged=portal.outbox.purge(keep) + portal.webhooks.purge(keep),
        sessions_ended=portal.accounts.purge_sessions()
        + portal.staff_sessions.purge(STAFF_SESSIONS_KEPT)
        + portal.twostep.purge(),
        reconciled=portal.payments.reconcile(),
        autopay_started=portal.autopay.run(),
        instalments_started=portal.plans.run(),
    )


def portals_of(factory: str | Callable[[], Any]) -> list[Portal]:
    """The portals a factory builds: ``"module:callable"`` or the callable itself."""
    build = (
        getattr(importlib.import_module(factory.partition(":")[0]), factory.partition(":")[2])
        if isinstance(factory, str)
        else factory
    )
    built = build()
    return list(built) if isinstance(built, (list, tuple)) else [built]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portalkit.worker", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--factory", required=True, help="module:callable returning a Portal or a list of them")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between deliveries")
    parser.add_argument("--once", action="store_true", help="one round of delivery and maintenance, then exit")
    parser.add_argument(
        "--keep-days", type=float, default=KEEP.days, help="purge sent and dead messages older than this"
    )
    args = parser.parse_args(argv)
    portals = portals_of(args.factory)
    keep = timedelta(days=args.keep_days)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.once:
        for portal in portals:
            delivered = deliver(portal)
            print(attrs.evolve(maintain(portal, keep), delivered=delivered.delivered), flush=True)
        return 0
    log.info("portalkit worker: %d company portal(s); delivering every %ss", len(portals), args.interval)
    next_maintenance = 0.0
    while True:
        due = time.monotonic() >= next_maintenance
        for portal in portals:
            done = deliver(portal)
            if due:
                done = attrs.evolve(maintain(portal, keep), delivered=done.delivered)
            if done.anything:
                log.info("%s", done)
        if due:
            next_maintenance = time.monotonic() + MAINTAIN_EVERY_SECONDS
        time.sleep(args.interval)


if __name__ == "__main__":
    raise SystemExit(main())
