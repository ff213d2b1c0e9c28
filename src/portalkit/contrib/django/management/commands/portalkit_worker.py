"""``manage.py portalkit_worker [--once] [--interval 2]``: the plain worker (``portalkit.worker``)
for the host's portal: delivers the outbox (mail and host events); every ten minutes purges old
messages and sessions, reconciles payments left open and runs autopay. ``--once`` does one round
and prints what it did. Hosts that run Celery, RQ or Django's tasks use those instead."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import attrs
from django.core.management.base import BaseCommand, CommandParser

from portalkit.contrib.django.conf import get_portal
from portalkit.worker import KEEP, MAINTAIN_EVERY_SECONDS, deliver, maintain


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round of delivery and maintenance, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between deliveries")
        parser.add_argument("--keep-days", type=float, default=KEEP.days, help="purge sent and dead messages older")

    def handle(self, *args: Any, **options: Any) -> None:
        portal = get_portal()
        keep = timedelta(days=options["keep_days"])
        next_maintenance = 0.0
        while True:
            done = deliver(portal)
            if options["once"] or time.monotonic() >= next_maintenance:
                done = attrs.evolve(maintain(portal, keep), delivered=done.delivered)
                next_maintenance = time.monotonic() + MAINTAIN_EVERY_SECONDS
            if options["once"] or done.anything:
                self.stdout.write(str(done))
            if options["once"]:
                return
            time.sleep(options["interval"])
