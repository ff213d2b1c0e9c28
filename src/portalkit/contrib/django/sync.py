"""Keeping the portal in step from the host's Django signals, without ever failing the host's
own request::

    @receiver(post_save, sender=Invoice)
    def invoice_saved(sender, instance, **kwargs):
        sync_on_commit(lambda: SyncBatch(customers=[...], properties=[...], contacts=[...],
                                         invoices=[host_invoice(instance)]))

The batch is built and applied after the host's transaction commits (``transaction.on_commit``),
so the portal never sees a row that was rolled back. Send the records it refers to with it (the
invoice's property, customer and contacts: sync upserts them, unchanged ones cost nothing), and a
batch never fails for a record the portal has not seen yet. Should one fail all the same (a bad
email, the database down), the failure is logged with the batch's host ids on the
``portalkit.sync`` logger and counted (``failures``), never raised into the host's request: the
host's record is saved, and the nightly complete sync (``SyncBatch(..., complete={...})``)
brings the portal back in step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from ...sync._sync import SyncBatch
from .conf import get_portal

log = logging.getLogger("portalkit.sync")
failures = 0  # batches that failed in this process since it started


def sync_on_commit(build: Callable[[], SyncBatch], *, using: str | None = None) -> None:
    """Apply ``build()`` to the portal once the current transaction commits; never raises."""
    transaction.on_commit(lambda: apply_safely(build), using=using)


def apply_safely(build: Callable[[], SyncBatch]) -> bool:
    """Build and apply a batch; log and count a failure instead of raising. Whether it applied."""
    global failures
    batch = None
    try:
        batch = build()
        get_portal().sync.apply(batch)
        return True
    except Exception:
        failures += 1
        sent = (
            {
                kind: [h.external_id for h in getattr(batch, kind)]
                for kind in ("customers", "properties", "contacts", "staff", "invoices", "proposals")
            }
            if batch
            else {}
        )
        log.exception(
            "portal sync of %s failed; the nightly complete sync will repair it",
            {k: v for k, v in sent.items() if v} or "a batch that could not be built",
        )
        return False
