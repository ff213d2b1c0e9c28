"""Test helpers for hosts: the storage conformance suite and a throwaway PostgreSQL server."""

from .conformance import StorageConformance

__all__ = ["StorageConformance"]
