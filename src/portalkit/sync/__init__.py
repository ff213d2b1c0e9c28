"""The host's records brought in by its own ids: customers, properties, contacts, staff,
invoices, proposals, jobs and visits, in resumable chunks.

The names below are the package's public surface (each loaded from its private module
when first used); the modules themselves are private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import exports

if TYPE_CHECKING:
    from ._sync import (
        AFTER_CHUNKS,
        CHUNK,
        CHUNKED_KINDS,
        CHUNKED_SIZE,
        HOST_TYPES,
        KIND_OF,
        KINDS,
        HostContact,
        HostCustomer,
        HostInvoice,
        HostJob,
        HostProperty,
        HostProposal,
        HostStaff,
        HostVisit,
        KindReport,
        Sync,
        SyncBatch,
        SyncRecordError,
        SyncReport,
        SyncTotals,
    )

__all__ = [
    "AFTER_CHUNKS",
    "CHUNK",
    "CHUNKED_KINDS",
    "CHUNKED_SIZE",
    "HOST_TYPES",
    "HostContact",
    "HostCustomer",
    "HostInvoice",
    "HostJob",
    "HostProperty",
    "HostProposal",
    "HostStaff",
    "HostVisit",
    "KINDS",
    "KIND_OF",
    "KindReport",
    "Sync",
    "SyncBatch",
    "SyncRecordError",
    "SyncReport",
    "SyncTotals",
]

exports(
    __name__,
    {
        "AFTER_CHUNKS": "_sync",
        "CHUNK": "_sync",
        "CHUNKED_KINDS": "_sync",
        "CHUNKED_SIZE": "_sync",
        "HOST_TYPES": "_sync",
        "HostContact": "_sync",
        "HostCustomer": "_sync",
        "HostInvoice": "_sync",
        "HostJob": "_sync",
        "HostProperty": "_sync",
        "HostProposal": "_sync",
        "HostStaff": "_sync",
        "HostVisit": "_sync",
        "KINDS": "_sync",
        "KIND_OF": "_sync",
        "KindReport": "_sync",
        "Sync": "_sync",
        "SyncBatch": "_sync",
        "SyncRecordError": "_sync",
        "SyncReport": "_sync",
        "SyncTotals": "_sync",
    },
)
