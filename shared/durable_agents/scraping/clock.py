"""The scraper's notion of time, injectable so tests control expiry and rate limits.

Times are wall-clock epoch seconds (``time.time()``), not monotonic ones: they are stored in
:class:`ScraperState` and compared again in later invocations, possibly on another machine.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Reads the time and waits; a fake clock's ``sleep`` simply advances ``now``."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: ``time.time()`` and ``time.sleep()``."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
