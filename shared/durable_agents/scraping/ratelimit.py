"""Per-host politeness: a minimum interval between requests, kept in :class:`ScraperState`.

The interval for a host is ``max(min_interval, crawl-delay)`` (the crawl delay from the origin's
robots.txt, ``Request-rate`` included), capped at :data:`MAX_REQUEST_INTERVAL`. Hosts are independent.

When a request comes too early the limiter waits, but only up to ``max_wait`` seconds and never past
the scrape's deadline (a short wait is cheaper than a round trip through the caller); beyond that it
raises ``rate_limited`` with ``retry_after``, so a durable object never sleeps through its lease: the
caller reschedules instead.
Only requests for pages count; robots.txt fetches do not.
"""

from __future__ import annotations

from .clock import Clock
from .errors import ErrorCode, ScrapeFailure
from .models import MAX_REQUEST_INTERVAL, RobotsEntry, ScraperState


class RateLimiter:
    """Spaces requests to each host by its interval (see the module documentation)."""

    def __init__(self, clock: Clock, *, min_interval: float, max_wait: float) -> None:
        if min_interval < 0 or max_wait < 0:
            raise ValueError("min_interval and max_wait must not be negative")
        self._clock = clock
        self._min_interval = min_interval
        self._max_wait = max_wait

    def interval(self, robots: RobotsEntry) -> float:
        """Seconds between two requests to a host whose origin has ``robots``."""
        return min(max(self._min_interval, robots.crawl_delay or 0.0), MAX_REQUEST_INTERVAL)

    def acquire(self, host: str, interval: float, state: ScraperState, *, budget: float) -> None:
        """Take ``host``'s next slot, waiting at most ``max_wait`` and ``budget``; else rate_limited."""
        now = self._clock.now()
        last = state.last_request.get(host)
        if last is not None:
            wait = min(last + interval - now, interval)  # a clock that went back never waits longer
            if wait > min(self._max_wait, budget):
                raise ScrapeFailure(
                    ErrorCode.RATE_LIMITED,
                    f"{host} allows one request every {interval:g}s; try again in {wait:.2f}s",
                    retry_after=round(wait, 3),
                )
            if wait > 0:
                self._clock.sleep(wait)
                now = self._clock.now()
        state.last_request[host] = now

    def record(self, host: str, state: ScraperState) -> None:
        """Note a request to ``host`` that is part of an already admitted fetch (a same-host redirect)."""
        state.last_request[host] = self._clock.now()
