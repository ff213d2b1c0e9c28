"""The one retry-on-conflict helper: optimistic writes that lost a race are run again."""

from __future__ import annotations

from typing import Callable, TypeVar

from .errors import Conflict

T = TypeVar("T")
ATTEMPTS = 5


def retry_on_conflict(operation: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``operation`` (one whole transaction) until it commits without a ``Conflict``.

    After ``attempts`` lost races the last ``Conflict`` is raised: nothing of the operation was
    written, and its ``public_message`` asks the caller to try again.
    """
    for _ in range(attempts - 1):
        try:
            return operation()
        except Conflict:
            continue
    return operation()
