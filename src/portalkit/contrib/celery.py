"""The portal's background work on Celery (with beat), for hosts that already run it::

    # myapp/celery.py
    from celery import Celery
    from portalkit.contrib.celery import install

    app = Celery("myapp", broker="redis://localhost:6379/0")
    install(app, "myapp.portal:build")   # "module:callable" returning your Portal (or a list)

then run ``celery -A myapp worker`` and ``celery -A myapp beat`` (or ``worker -B``). Two tasks:
``portalkit.deliver`` (the outbox: mail and host events, every ``deliver_every`` seconds) and
``portalkit.maintain`` (purge, reconcile open payments and refunds with the processor, run
autopay; every ``maintain_every`` seconds). Build the portal with ``dispatch_inline=False`` so
the workers deliver. The tasks are the same two calls as the plain worker (``portalkit.worker``).
"""

from __future__ import annotations

from typing import Any

from ..worker import deliver, maintain, portals_of

_PORTALS: dict[str, list[Any]] = {}  # per worker process: built once per factory


def _portals(factory: str) -> list[Any]:
    if factory not in _PORTALS:
        _PORTALS[factory] = portals_of(factory)
    return _PORTALS[factory]


def install(app: Any, factory: str, *, deliver_every: float = 10.0, maintain_every: float = 600.0) -> tuple[Any, Any]:
    """Register ``portalkit.deliver`` and ``portalkit.maintain`` on the Celery ``app`` and put
    them on its beat schedule; returns the two tasks."""

    @app.task(name="portalkit.deliver", ignore_result=True)  # type: ignore[untyped-decorator]
    def deliver_task() -> int:
        return sum(deliver(portal).delivered for portal in _portals(factory))

    @app.task(name="portalkit.maintain", ignore_result=True)  # type: ignore[untyped-decorator]
    def maintain_task() -> str:
        return "; ".join(str(maintain(portal)) for portal in _portals(factory))

    schedule = dict(app.conf.beat_schedule or {})
    schedule.update(
        {
            "portalkit-deliver": {"task": "portalkit.deliver", "schedule": float(deliver_every)},
            "portalkit-maintain": {"task": "portalkit.maintain", "schedule": float(maintain_every)},
        }
    )
    app.conf.beat_schedule = schedule
    return deliver_task, maintain_task
