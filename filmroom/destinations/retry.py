"""Retry with exponential back-off for transient destination failures."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from filmroom.errors import TransientDestinationError

logger = logging.getLogger(__name__)

T = TypeVar("T")


def backoff_delays(retries: int, first_seconds: float) -> list[float]:
    """Return the sleep before each retry: ``first_seconds`` doubling per retry."""
    return [first_seconds * (2**attempt) for attempt in range(retries)]


def call_with_retries(
    operation: Callable[[], T],
    *,
    retries: int,
    backoff_seconds: float,
    description: str,
) -> T:
    """Call ``operation``, retrying it after each ``TransientDestinationError``.

    Raises the last ``TransientDestinationError`` once ``retries`` retries have failed.
    Other exceptions propagate at once.
    """
    delays = backoff_delays(retries, backoff_seconds)
    for attempt in range(retries + 1):
        try:
            return operation()
        except TransientDestinationError as exc:
            if attempt == retries:
                raise
            delay = delays[attempt]
            logger.warning(
                "%s failed (%s); retry %d of %d in %.2f s",
                description,
                exc,
                attempt + 1,
                retries,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
