"""The scraper: one :class:`ScrapeRequest` in, one :class:`ScrapeResult` out, state kept by the caller.

:meth:`Scraper.scrape` runs, in order:

1. validate and normalise the URL (``invalid_url``);
2. cache lookup: a fresh page is returned with ``from_cache=True`` and no request at all;
3. the host's addresses, resolved once and vetted (``blocked_address``, ``fetch_failed`` when it does
   not resolve, ``timeout`` when it resolves too slowly): every request to this host connects to
   exactly these; then the origin's robots.txt, from the state or fetched (``robots_disallowed``);
4. the host's rate limit: a short wait, or ``rate_limited`` with ``retry_after`` (see :mod:`.ratelimit`);
5. GET with the request's size limit, following up to 5 redirects; each hop's addresses are vetted,
   and a hop to another origin passes that origin's robots.txt and its host's rate limit
   (``blocked_address``, ``timeout``, ``too_large``, ``fetch_failed``, ``http_error``);
6. extraction (``unsupported_content``) into a :class:`Page` marked untrusted;
7. cache store; then the state is pruned to its bounds, whatever the outcome.

Steps 3 to 5 share one deadline, ``request.timeout`` seconds from the start: each name lookup,
robots.txt, the wait and every exchange get only what is left of it (``timeout`` once it has passed).

The scraper holds no state of its own between calls: pass the same :class:`ScraperState` (persisted
anywhere) to every call. It is not safe to use one state from two threads at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..config import settings
from ..http import USER_AGENT, HttpResponse, RecordedTransport
from .addresses import AddressGuard, Resolver, Vetted
from .clock import Clock, Deadline, SystemClock
from .errors import ErrorCode, ScrapeFailure
from .extract import extract
from .fetch import Fetcher
from .hints import parse_selector
from .models import MAX_REQUEST_INTERVAL, Page, PageCacheEntry, ScrapeRequest, ScrapeResult, ScraperState
from .ratelimit import RateLimiter
from .robots import RobotsPolicy
from .transport import PinnedTransport, ScrapeTransport, scrape_transport
from .urls import ValidUrl, parse_url

ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"


class Scraper:
    """Fetches and extracts pages politely and safely (see the module documentation).

    ``min_interval`` is the least time between two requests to one host (robots.txt may ask for more);
    ``max_wait`` the longest the scraper sleeps for a rate limit before answering ``rate_limited``.
    Pages stay cached ``cache_ttl`` seconds, robots.txt ``robots_ttl`` (``robots_error_ttl`` when it
    could not be read); the state is kept under ``max_state_bytes`` of JSON.
    """

    def __init__(
        self,
        transport: ScrapeTransport | RecordedTransport,
        *,
        allow_private_networks: bool = False,
        resolver: Resolver | None = None,
        clock: Clock | None = None,
        user_agent: str = USER_AGENT,
        min_interval: float = 1.0,
        max_wait: float = 1.0,
        cache_ttl: float = 900.0,
        robots_ttl: float = 3600.0,
        robots_error_ttl: float = 120.0,
        max_state_bytes: int = 96 * 1024,
    ) -> None:
        self._clock = clock or SystemClock()
        self._guard = AddressGuard(resolver, allow_private_networks=allow_private_networks)
        self._fetcher = Fetcher(scrape_transport(transport), self._guard, user_agent=user_agent)
        self._robots = RobotsPolicy(
            self._fetcher, self._clock, user_agent=user_agent, ttl=robots_ttl, error_ttl=robots_error_ttl
        )
        self._limiter = RateLimiter(self._clock, min_interval=min_interval, max_wait=max_wait)
        self._cache_ttl = cache_ttl
        self._max_state_bytes = max_state_bytes

    @classmethod
    def from_settings(
        cls, transport: ScrapeTransport | RecordedTransport | None = None, **options: Any
    ) -> Scraper:
        """A scraper for this process: the real network by default, private networks per :func:`settings`."""
        return cls(
            transport or PinnedTransport(),
            allow_private_networks=settings().scraper_allow_private_networks,
            **options,
        )

    @property
    def clock(self) -> Clock:
        """The clock its deadlines, rate limits and expiries are measured on."""
        return self._clock

    def scrape(self, request: ScrapeRequest, state: ScraperState) -> ScrapeResult:
        """Fetch and extract ``request.url``, reading and updating ``state``; never raises for a bad page."""
        try:
            return self._scrape(request, state)
        except ScrapeFailure as failure:
            return ScrapeResult.failure(failure)
        finally:
            state.prune(self._clock.now(), self._max_state_bytes)

    def _scrape(self, request: ScrapeRequest, state: ScraperState) -> ScrapeResult:
        target = parse_url(request.url)
        key = cache_key(target, request)
        cached = state.fresh_page(key, self._clock.now())
        if cached is not None:
            return ScrapeResult.success(cached, from_cache=True)

        deadline = Deadline.after(self._clock, request.timeout)
        vetted = self._guard.vet(target, within=deadline.remaining())
        robots = self._robots.check(vetted, state, deadline=deadline)
        self._limiter.acquire(target.host, self._limiter.interval(robots), state, budget=deadline.remaining())
        contacted = {target.host}

        def before_redirect(hop: Vetted, deadline: Deadline) -> None:
            host = hop.url.host
            hop_robots = self._robots.check(hop, state, deadline=deadline)
            if host in contacted:
                self._limiter.record(host, state)
            else:
                interval = self._limiter.interval(hop_robots)
                self._limiter.acquire(host, interval, state, budget=deadline.remaining())
                contacted.add(host)

        fetched = self._fetcher.get(
            vetted,
            deadline=deadline,
            max_bytes=request.max_bytes,
            accept=ACCEPT,
            before_redirect=before_redirect,
        )
        if not fetched.response.ok:
            raise _status_failure(fetched.url, fetched.response)
        extracted = extract(
            fetched.response,
            fetched.url,
            selectors=[parse_selector(hint) for hint in request.selector_hints],
            max_text_chars=request.max_text_chars,
            max_links=request.max_links,
        )
        now = self._clock.now()
        page = Page(
            url=target.url,
            final_url=fetched.url.url,
            status=fetched.response.status,
            content_type=extracted.media_type,
            title=extracted.title,
            text=extracted.text,
            truncated=extracted.truncated,
            links=extracted.links,
            fetched_at=datetime.fromtimestamp(now, tz=UTC),
        )
        entry = PageCacheEntry(page=page, stored_at=now, expires_at=now + self._cache_ttl)
        if self._cache_ttl > 0 and len(entry.model_dump_json()) <= self._max_state_bytes // 2:
            state.pages[key] = entry
        return ScrapeResult.success(page)


def cache_key(url: ValidUrl, request: ScrapeRequest) -> str:
    """The page cache key: the normalised URL plus the options that change the extracted page."""
    hints = ",".join(request.selector_hints)
    return f"{url.url} {request.max_text_chars} {request.max_links} {hints}".rstrip()


def _status_failure(url: ValidUrl, response: HttpResponse) -> ScrapeFailure:
    return ScrapeFailure(
        ErrorCode.HTTP_ERROR,
        f"{url} answered HTTP {response.status}",
        status=response.status,
        retry_after=retry_after_seconds(response.header("retry-after")),
    )


def retry_after_seconds(header: str) -> float | None:
    """A ``Retry-After`` in seconds (ASCII digits only, capped at an hour); ``None`` for anything else.

    ``str.isdigit`` alone is not enough: it accepts ``²`` (a Latin-1 header byte), which ``float``
    refuses.
    """
    value = header.strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return min(float(value), MAX_REQUEST_INTERVAL)
