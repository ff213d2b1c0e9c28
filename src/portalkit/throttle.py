"""Attempt limits (ASVS V2.2.1): at most ``limit`` attempts per key within a sliding window.

An attempt is *reserved* before the expensive or secret-revealing check runs (bcrypt, a mail),
in its own compare-and-swap write, so concurrent guesses cannot all slip through between a
read and an increment: the (limit + 1)-th reservation in a window is refused, however many run
at once. A successful login hands its reservation back with ``succeeded``; a failed one keeps
it. The window restarts when it has run out.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Callable

import attrs

from .config import PortalConfig
from .errors import TooManyAttempts
from .models import LoginThrottle
from .ports import Clock, Storage
from .retry import retry_on_conflict


class Throttle:
    def __init__(self, storage: Storage, clock: Clock, transaction: Callable[[], AbstractContextManager[None]],
                 namespace: str):
        self._storage, self._clock, self._transaction = storage, clock, transaction
        self._namespace = namespace  # the company: its limits are its own

    def reserve(self, key: str, limit: int, window_seconds: int) -> None:
        """Count one attempt for ``key``, or raise ``TooManyAttempts`` when the window is full."""
        retry_on_conflict(lambda: self._reserve(key, limit, window_seconds))

    def reserve_all(self, limits: dict[str, int], window_seconds: int) -> None:
        """Reserve one attempt on every key; when one is full, hand back the others taken."""
        taken: list[str] = []
        try:
            for key, limit in limits.items():
                self.reserve(key, limit, window_seconds)
                taken.append(key)
        except TooManyAttempts:
            for key in taken:
                self.release(key)
            raise

    def reserve_login(self, account_key: str, ip: str, config: PortalConfig, ip_prefix: str = "ip:") -> list[str]:
        """One login attempt, reserved on the account (``login_max_failures``) and, when the
        client address is known, on it (``login_max_failures_per_ip``); returns the keys taken."""
        limits = {account_key: config.login_max_failures}
        if ip:
            limits[ip_prefix + ip[:64]] = config.login_max_failures_per_ip
        self.reserve_all(limits, config.login_window_seconds)
        return list(limits)

    def login_succeeded(self, keys: list[str]) -> None:
        """The account's failures are forgotten; the client address only gets this attempt back,
        so failures it made on other accounts still count."""
        account_key, *ip_keys = keys
        self.reset(account_key)
        for key in ip_keys:
            self.release(key)

    def _reserve(self, key: str, limit: int, window_seconds: int) -> None:
        now = self._clock.now()
        key = f"{self._namespace}:{key}"
        with self._transaction():
            current = self._storage.get(LoginThrottle, key)
            if current is None:
                self._storage.insert(LoginThrottle(id=key, failures=1, window_start=now))
                return
            elapsed = _elapsed(current.window_start, now)
            if elapsed >= window_seconds:
                self._storage.update(attrs.evolve(current, failures=1, window_start=now))
                return
            if current.failures >= limit:
                raise TooManyAttempts(int(window_seconds - elapsed) + 1)
            self._storage.update(attrs.evolve(current, failures=current.failures + 1))

    def release(self, key: str) -> None:
        """Hand back one reservation (the attempt turned out not to be a failure)."""
        retry_on_conflict(lambda: self._change(key, lambda n: max(n - 1, 0)))

    def reset(self, key: str) -> None:
        """Forget the failures of ``key`` (a successful login); the window keeps its start."""
        retry_on_conflict(lambda: self._change(key, lambda n: 0))

    def _change(self, key: str, to: Callable[[int], int]) -> None:
        with self._transaction():
            current = self._storage.get(LoginThrottle, f"{self._namespace}:{key}")
            if current is not None and current.failures != to(current.failures):
                self._storage.update(attrs.evolve(current, failures=to(current.failures)))


def _elapsed(start: datetime | None, now: datetime) -> float:
    return float("inf") if start is None else (now - start).total_seconds()

