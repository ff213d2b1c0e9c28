"""``manage.py portalkit_worker [--once] [--interval 2]``: delivers the portal's outbox (mail
and host events), purges old messages and reconciles payments left open with the processor."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portalkit.outbox import PURGE_EVERY_SECONDS
from portalkit.contrib.django.conf import get_portal


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--keep-days", type=float, default=30.0, help="purge sent and dead messages older")

    def handle(self, *args: Any, **options: Any) -> None:
        portal = get_portal()
        next_purge = 0.0
        while True:
            sent = portal.outbox.dispatch()
            if sent:
                self.stdout.write(f"delivered {sent} message(s)")
            if time.monotonic() >= next_purge:
                portal.outbox.purge(timedelta(days=options["keep_days"]))
                portal.accounts.purge_sessions()
                reconciled = portal.payments.reconcile()  # no payment stays pending for ever
                if reconciled:
                    self.stdout.write(f"reconciled {reconciled} payment(s)")
                charged = portal.autopay.run()  # invoices due under an autopay consent
                if charged:
                    self.stdout.write(f"started {charged} automatic payment(s)")
                next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            if options["once"]:
                return
            time.sleep(options["interval"])
