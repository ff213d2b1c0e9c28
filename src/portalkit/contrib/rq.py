"""The portal's background work on RQ, for hosts that already run it (RQ 2.4 or newer, with its
cron scheduler)::

    # myapp/portal_cron.py
    from portalkit.contrib.rq import register
    register("myapp.portal:build")      # "module:callable" returning your Portal (or a list)

then run ``rq cron myapp/portal_cron.py`` (it enqueues the jobs on time) and ``rq worker portalkit``
(it runs them). Two jobs: ``deliver`` (the outbox: mail and host events, every
``deliver_every`` seconds) and ``maintain`` (purge, reconcile open payments and refunds, run
autopay; every ``maintain_every`` seconds). Build the portal with ``dispatch_inline=False``.
The jobs are the same two calls as the plain worker (``portalkit.worker``).
"""

from __future__ import annotations

from typing import Any

from ..worker import deliver as _deliver
from ..worker import maintain as _maintain
from ..worker import portals_of

QUEUE = "portalkit"
_PORTALS: dict[str, list[Any]] = {}  # per worker process: built once per factory


def _portals(factory: str) -> list[Any]:
    if factory not in _PORTALS:
        _PORTALS[factory] = portals_of(factory)
    return _PORTALS[factory]


def deliver(factory: str) -> int:
    """The job that delivers the outboxes of the portals ``factory`` builds."""
    return sum(_deliver(portal).delivered for portal in _portals(factory))


def maintain(factory: str) -> str:
    """The job that purges, reconciles and runs autopay for the portals ``factory`` builds."""
    return "; ".join(str(_maintain(portal)) for portal in _portals(factory))


def register(factory: str, *, queue: str = QUEUE, deliver_every: int = 10, maintain_every: int = 600) -> None:
    """Put both jobs on RQ's cron schedule (call it from the file ``rq cron`` loads)."""
    from rq import cron

    cron.register(deliver, queue, args=(factory,), interval=deliver_every, name="portalkit.deliver")
    cron.register(maintain, queue, args=(factory,), interval=maintain_every, name="portalkit.maintain")
