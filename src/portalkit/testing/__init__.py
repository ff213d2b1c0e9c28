"""Test helpers for hosts: in-memory adapters as an explicit plugin, a ready portal, the storage
conformance suite (imported on first use: it needs pytest) and a throwaway PostgreSQL server."""

from typing import Any

from ..adapters.memory import FrozenClock, MemoryMailer, MemoryStorage
from ..adapters.payments import FakeProcessor
from .plugin import InMemoryPlugin, make_portal

__all__ = ["FakeProcessor", "FrozenClock", "InMemoryPlugin", "MemoryMailer", "MemoryStorage", "StorageConformance",
           "make_portal"]


def __getattr__(name: str) -> Any:
    if name == "StorageConformance":
        from .conformance import StorageConformance

        return StorageConformance
    raise AttributeError(name)
