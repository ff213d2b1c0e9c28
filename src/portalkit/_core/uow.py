"""Units of work: one storage transaction per portal operation, and the outbox after commit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from ..ports import Storage

log = logging.getLogger("portalkit.uow")  # its name before the move (issue 22): hosts filter and alert on it


class UnitOfWork:
    """``with uow():`` runs one transaction; nested ones join the outermost.

    ``after_commit`` (the outbox's inline delivery) runs once the outermost transaction has
    committed. The operation is done by then, so a failure there is logged and left to the
    outbox's retries: it never turns a committed operation into an error for its caller.
    """

    def __init__(
        self,
        storage: Storage,
        after_commit: Callable[[], object] | None = None,
        scope: Callable[[], AbstractContextManager[object]] | None = None,
    ):
        self._storage = storage
        self.after_commit = after_commit
        self._scope = scope  # entered around the outermost transaction (the settings, read once)
        self._local = threading.local()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        depth: int = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            if depth == 0 and self._scope is not None:
                with self._scope(), self._storage.transaction():
                    yield
            else:
                with self._storage.transaction():
                    yield
        finally:
            self._local.depth = depth
        if depth == 0 and self.after_commit is not None:
            try:
                self.after_commit()
            except Exception:
                log.exception("delivery after commit failed; the messages stay queued for a retry")
