"""The one retry-on-conflict helper: optimistic writes that lost a race are run again."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import Conflict

T = TypeVar("T")
ATTEMPTS = 10
BACKOFF_SECONDS = 0.002  # the first wait's ceiling; it doubles per lost race
BACKOFF_CAP_SECONDS = 0.1


def retry_on_conflict(
    operation: Callable[[], T], attempts: int = ATTEMPTS, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run ``operation`` (one whole transaction) until it commits without a ``Conflict``.

    Between attempts it waits a random time up to a doubling ceiling ("full jitter"), so writers
    that read the same version do not all retry in step and collide again (16 guesses on one
    login throttle row lost five races in a row on PostgreSQL without it). After ``attempts``
    lost races the last ``Conflict`` is raised: nothing of the operation was written, and its
    ``public_message`` asks the caller to try again.
    """
    for attempt in range(attempts - 1):
        try:
            return operation()
        except Conflict:
            sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**attempt)))
    return operation()
