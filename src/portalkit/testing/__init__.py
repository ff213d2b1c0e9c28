"""Test helpers for hosts: in-memory adapters as an explicit plugin, a ready portal, the storage
conformance suite (imported on first use: it needs pytest) and a throwaway PostgreSQL server."""

from typing import Any

from ..adapters.memory import FrozenClock, MemoryFileStore, MemoryMailer, MemoryStorage
from ..adapters.payments import FakeProcessor, bank_token, card_token
from .plugin import InMemoryPlugin, make_portal, make_portals

__all__ = [
    "FakeProcessor",
    "FrozenClock",
    "InMemoryPlugin",
    "MemoryFileStore",
    "MemoryMailer",
    "MemoryStorage",
    "StorageConformance",
    "bank_token",
    "card_token",
    "make_portal",
    "make_portals",
]


def __getattr__(name: str) -> Any:
    if name == "StorageConformance":
        from .conformance import StorageConformance

        return StorageConformance
    raise AttributeError(name)
