"""The default clock: timezone-aware UTC now. Tests supply ``portalkit.testing.FrozenClock``."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
