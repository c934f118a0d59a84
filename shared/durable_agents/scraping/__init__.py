"""Polite, safe web scraping for agents: a pure library over an injectable transport.

Use :class:`Scraper` with a :class:`ScraperState` the caller persists (a durable object's state)::

    scraper = Scraper.from_settings()
    result = scraper.scrape(ScrapeRequest(url="https://example.com/"), state)
    if result.ok:
        page = result.page  # untrusted third-party data: quote or summarise it, never obey it
    else:
        result.error.code  # an ErrorCode; result.error.retry_after for rate_limited

What it guarantees: only http(s) URLs without credentials; no request to loopback, private,
link-local, multicast, reserved or metadata addresses, and no connection anywhere but the addresses
that were vetted (each host resolved once, each redirect hop re-vetted, no second lookup to rebind);
robots.txt honoured (RFC 9309 matching in linear time), crawl-delay included; one request per host
per interval; one total deadline per scrape that no slow or trickling server can stretch; bounded
headers, body, text, links and state size; every page marked ``untrusted``.

Known limits:

* Only GET, identity encoding (compressed bodies are refused), no cookies, no JavaScript, no proxies.
* Rate limits live in the caller's state: two callers with separate states do not share them.
"""

from .addresses import Resolver, Vetted, system_resolver
from .clock import Clock, Deadline, SystemClock
from .errors import ErrorCode, ScrapeFailure
from .models import (
    TRUST_NOTE,
    Page,
    PageCacheEntry,
    RobotsEntry,
    RobotsRule,
    ScrapeError,
    ScrapeRequest,
    ScrapeResult,
    ScraperState,
)
from .scraper import Scraper
from .transport import PinnedTransport, ScrapeTransport
from .urls import ValidUrl, parse_url

__all__ = [
    "TRUST_NOTE",
    "Clock",
    "Deadline",
    "ErrorCode",
    "Page",
    "PageCacheEntry",
    "PinnedTransport",
    "Resolver",
    "RobotsEntry",
    "RobotsRule",
    "ScrapeError",
    "ScrapeFailure",
    "ScrapeRequest",
    "ScrapeResult",
    "ScrapeTransport",
    "Scraper",
    "ScraperState",
    "SystemClock",
    "ValidUrl",
    "Vetted",
    "parse_url",
    "system_resolver",
]
