"""Attempt limits (ASVS V2.2.1): at most ``limit`` attempts per key within a sliding window.

An attempt is *reserved* before the expensive or secret-revealing check runs (bcrypt, a mail),
in its own compare-and-swap write, so concurrent guesses cannot all slip through between a
read and an increment: the (limit + 1)-th reservation in a window is refused, however many run
at once. A successful login hands its reservation back with ``succeeded``; a failed one keeps
it. The window restarts when it has run out.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs

from ..config import PortalConfig
from ..errors import LoginsBusy, TooManyAttempts
from ..models import LoginThrottle
from ..ports import Clock, Storage
from .retry import retry_on_conflict


class Throttle:
    def __init__(
        self, storage: Storage, clock: Clock, transaction: Callable[[], AbstractContextManager[None]], namespace: str
    ):
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

    def reserve_login(
        self,
        account_key: str,
        ip: str,
        config: PortalConfig,
        ip_prefix: str = "ip:",
        attempts_per_ip: int | None = None,
    ) -> list[str]:
        """One login attempt, reserved on the account (``login_max_failures``) and, when the
        client address is known, on it (``login_max_failures_per_ip``); returns the keys taken
        (``login_succeeded`` hands them back). With ``attempts_per_ip`` the address's attempts,
        failed or not, are counted too, against that limit: never handed back."""
        limits = {account_key: config.login_max_failures}
        if ip:
            limits[ip_prefix + ip[:64]] = config.login_max_failures_per_ip
        returned = list(limits)
        if ip and attempts_per_ip is not None:
            limits["attempts-" + ip_prefix + ip[:64]] = attempts_per_ip
        self.reserve_all(limits, config.login_window_seconds)
        return returned

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


R = TypeVar("R")


# -- how many password checks run at once ------------------------------------------------------
FAST_COST = 8  # bcrypt below this cost takes a few milliseconds: waiting for a slot is cheaper than refusing


class PasswordGate:
    """At most ``slots`` password checks (bcrypt: about 0.3 s of a core each at cost 12) run at
    once on this host, ``per_process`` of them in one process, and at most ``queue`` more logins
    wait for one, each at most ``wait_seconds``; any other login is refused at once with
    :class:`LoginsBusy` (HTTP 429 with ``Retry-After``), before it reads or counts anything.
    A burst of logins thus occupies ``slots + queue`` workers at most, never all of them, and the
    others keep serving pages (issue 25). Checks below ``FAST_COST`` (tests, development) take
    milliseconds: they queue for a slot (up to ten seconds) instead of being refused.

    The host-wide slots are lock files in ``lock_dir`` (``fcntl.flock``), shared by the worker
    processes of one server: gunicorn's sync workers are processes, where a semaphore in each
    would bound nothing. By default the folder is named after the parent process (the server's
    master); ``lock_dir=None`` keeps the per-process bound only (so on Windows). Configured from
    ``PORTALKIT_PASSWORD_SLOTS`` (default: half the CPUs, at least one),
    ``PORTALKIT_PASSWORD_WAIT_MS`` (300) and ``PORTALKIT_PASSWORD_LOCK_DIR`` ("none": per
    process only) by :func:`password_gate`; a host may set ``portal.accounts.password_gate``.
    The checks themselves run at a lower CPU priority (``run``): pages come first."""

    def __init__(
        self,
        slots: int = 1,
        *,
        per_process: int | None = None,
        queue: int | None = None,
        wait_seconds: float = 0.3,
        retry_after_seconds: int = 1,
        lock_dir: str | Path | None = None,
        fast_cost: int = FAST_COST,
        nice: int = 10,
    ):
        self.fast_cost = fast_cost
        self.slots = max(1, int(slots))
        self.per_process = max(1, min(self.slots, int(per_process or self.slots)))
        self.queue = max(0, int(self.slots if queue is None else queue))
        self.wait_seconds, self.retry_after_seconds = max(0.0, float(wait_seconds)), max(1, int(retry_after_seconds))
        folder = None
        if lock_dir is not None:
            try:
                import fcntl  # noqa: F401  (POSIX only)

                Path(lock_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
                folder = Path(lock_dir)
            except (ImportError, OSError):
                folder = None
        self.nice = max(0, int(nice))
        self._pool: tuple[int, ThreadPoolExecutor] | None = None  # (the process it belongs to, the pool)
        self._process = _ProcessSlots(self.per_process)
        self._host = _HostSlots(folder, "run", self.slots) if folder else None
        self._waiting = _HostSlots(folder, "wait", self.queue) if folder else _ProcessSlots(self.queue)
        self.refused = 0  # logins turned away since start (a gauge for the host's monitoring)

    @contextmanager
    def slot(self, cost: int = 12) -> Iterator[None]:
        """Hold a slot for a password check of bcrypt ``cost`` for the block, or raise
        ``LoginsBusy``."""
        held = self._take()
        if held is None:
            if cost < self.fast_cost:
                held = self._poll(time.monotonic() + 10.0)
            else:
                waiting = self._waiting.take()
                if waiting is not None:
                    try:
                        held = self._poll(time.monotonic() + self.wait_seconds)
                    finally:
                        self._waiting.give(waiting)
        if held is None:
            self.refused += 1
            raise LoginsBusy(self.retry_after_seconds)
        try:
            yield
        finally:
            self._give(held)

    def run(self, check: Callable[..., R], *args: Any) -> R:
        """``check(*args)`` (a bcrypt call) on one of the gate's threads, whose CPU priority is
        lowered by ``nice`` (Linux: ``setpriority`` of that thread alone), and wait for it. bcrypt
        releases the GIL while it hashes, so a check takes only what the cores have left after
        the pages: on a saturated server logins slow down, pages do not."""
        if self.nice <= 0 or not sys.platform.startswith("linux"):
            return check(*args)
        pid, pool = self._pool or (0, None)
        if pool is None or pid != os.getpid():  # none yet, or a fork (gunicorn) inherited one without threads
            pool = ThreadPoolExecutor(
                max_workers=self.per_process,
                thread_name_prefix="portalkit-passwords",
                initializer=_lower_priority,
                initargs=(self.nice,),
            )
            self._pool = (os.getpid(), pool)
        return pool.submit(check, *args).result()

    def _take(self) -> tuple[object, object] | None:
        mine = self._process.take()
        if mine is None:
            return None
        if self._host is None:
            return mine, None
        host = self._host.take()
        if host is None:
            self._process.give(mine)
            return None
        return mine, host

    def _give(self, held: tuple[object, object]) -> None:
        mine, host = held
        if host is not None and self._host is not None:
            self._host.give(host)
        self._process.give(mine)

    def _poll(self, deadline: float) -> tuple[object, object] | None:
        while time.monotonic() < deadline:
            time.sleep(0.002)
            held = self._take()
            if held is not None:
                return held
        return None


def _lower_priority(nice: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)  # on Linux: this thread only
    except (AttributeError, OSError):
        pass


class _ProcessSlots:
    """``n`` slots in this process, taken without waiting."""

    def __init__(self, n: int):
        self._free, self._lock = n, threading.Lock()

    def take(self) -> object | None:
        with self._lock:
            if self._free <= 0:
                return None
            self._free -= 1
            return True

    def give(self, _token: object) -> None:
        with self._lock:
            self._free += 1


class _HostSlots:
    """``n`` slots shared by every process of the host: lock files, taken without waiting (a
    process that dies gives its slot back with its file descriptors)."""

    def __init__(self, folder: Path, name: str, n: int):
        self._paths = [folder / f"{name}-{k}.lock" for k in range(n)]

    def take(self) -> object | None:
        import fcntl

        if not self._paths:
            return None
        start = random.randrange(len(self._paths))  # spread takers over the files
        for k in range(len(self._paths)):
            fd = os.open(self._paths[(start + k) % len(self._paths)], os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            return fd
        return None

    @staticmethod
    def give(fd: object) -> None:
        import fcntl

        assert isinstance(fd, int)
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


_GATE: PasswordGate | None = None
_GATE_LOCK = threading.Lock()


def password_gate() -> PasswordGate:
    """The process's shared gate, configured from the environment (see :class:`PasswordGate`)."""
    global _GATE
    with _GATE_LOCK:
        if _GATE is None:
            slots = int(os.environ.get("PORTALKIT_PASSWORD_SLOTS") or max(1, (os.cpu_count() or 2) // 2))
            wait = float(os.environ.get("PORTALKIT_PASSWORD_WAIT_MS") or 300) / 1000
            folder = os.environ.get("PORTALKIT_PASSWORD_LOCK_DIR") or str(
                Path(tempfile.gettempdir()) / f"portalkit-passwords-{os.getuid() if hasattr(os, 'getuid') else 0}"
                f"-{os.getppid()}-{slots}"
            )
            _GATE = PasswordGate(slots, wait_seconds=wait, lock_dir=None if folder == "none" else folder)
        return _GATE
