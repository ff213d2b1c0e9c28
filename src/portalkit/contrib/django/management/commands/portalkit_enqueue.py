"""``manage.py portalkit_enqueue``: enqueue the portal's two Django tasks (delivering the outbox;
purging, reconciling and running autopay) on the project's task backend. Run it from cron every
minute; the backend's worker runs the tasks (``portalkit.contrib.django.tasks``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        from portalkit.contrib.django.tasks import enqueue_all

        for result in enqueue_all():
            self.stdout.write(f"enqueued {result.task.name}: {result.status}")
