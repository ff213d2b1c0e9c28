"""The portal's background work as Django tasks (Django 6's ``django.tasks``, or the
``django-tasks`` backport on Django 5.2), run by whatever task backend the project configured::

    from portalkit.contrib.django.tasks import deliver_outbox, maintain_portal
    deliver_outbox.enqueue()      # the outbox: mail and host events
    maintain_portal.enqueue()     # purge, reconcile payments and refunds, run autopay

Django's tasks have no schedule of their own: ``manage.py portalkit_enqueue`` enqueues both, so
a cron line (or a systemd timer) running it every minute keeps the portal's work flowing; the
backend's worker (``manage.py db_worker`` with django-tasks' database backend, say) runs them.
"""

from __future__ import annotations

from typing import Any

try:  # Django 6 ships the tasks framework; Django 5.2 has the django-tasks backport
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task

from ...worker import deliver, maintain
from .conf import get_portal


@task()  # type: ignore[untyped-decorator,unused-ignore]
def deliver_outbox() -> int:
    """Deliver the portal's due mail and host events; how many."""
    return deliver(get_portal()).delivered


@task()  # type: ignore[untyped-decorator,unused-ignore]
def maintain_portal() -> str:
    """Purge old messages and sessions, reconcile open payments and refunds, run autopay."""
    return str(maintain(get_portal()))


def enqueue_all() -> list[Any]:
    """Enqueue both tasks (what ``manage.py portalkit_enqueue`` does)."""
    return [deliver_outbox.enqueue(), maintain_portal.enqueue()]
