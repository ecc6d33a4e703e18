"""The one way the tests wait: ask a condition again until it holds or a deadline passes.

Never sleep and then count: on a loaded 2-core machine any fixed pause is sometimes too short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float, failure: str | Callable[[], str], interval: float = 0.1
) -> T:
    """Return the first truthy value ``condition()`` gives; AssertionError with ``failure`` (a text, or a
    function making one at that moment) once ``timeout`` seconds have passed without one."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(failure() if callable(failure) else failure)
        time.sleep(interval)
