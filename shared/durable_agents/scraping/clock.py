"""The scraper's notion of time, injectable so tests control expiry, rate limits and deadlines.

Times are wall-clock epoch seconds (``time.time()``), not monotonic ones: they are stored in
:class:`ScraperState` and compared again in later invocations, possibly on another machine.

A :class:`Deadline` is the instant by which a whole scrape must be over (robots.txt, the rate-limit
wait, the page and every redirect hop): each step gets only what is left of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Deadline:
    """``seconds`` after the moment it was made, on ``clock``."""

    clock: Clock
    at: float
    seconds: float

    @classmethod
    def after(cls, clock: Clock, seconds: float) -> Deadline:
        return cls(clock=clock, at=clock.now() + seconds, seconds=seconds)

    def remaining(self) -> float:
        """Seconds left (zero or less once it has passed)."""
        return self.at - self.clock.now()
