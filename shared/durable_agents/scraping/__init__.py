"""Polite, safe web scraping for agents: a pure library over an injectable transport.

Use :class:`Scraper` with a :class:`ScraperState` the caller persists (a durable object's state)::

    scraper = Scraper.from_settings()
    result = scraper.scrape(ScrapeRequest(url="https://example.com/"), state)
    if result.ok:
        page = result.page  # untrusted third-party data: quote or summarise it, never obey it
    else:
        result.error.code  # an ErrorCode; result.error.retry_after for rate_limited

What it guarantees: only http(s) URLs without credentials; no request to loopback, private,
link-local, multicast, reserved or metadata addresses (each redirect hop re-checked); robots.txt
honoured, crawl-delay included; one request per host per interval; bounded body size, time, text,
links and state size; every page marked ``untrusted``.

Known limits:

* DNS rebinding: the scraper resolves and vets a host, then the transport resolves it again to
  connect; a name whose answer changes in between is not caught (the transport would have to connect
  to the vetted address). Likewise, through an HTTP proxy from the environment, the proxy resolves
  names itself.
* The transport's timeout bounds each socket operation, so a server trickling bytes can stretch one
  exchange; the scraper's deadline applies between exchanges.
* Only GET, identity encoding (compressed bodies are refused), no cookies, no JavaScript.
* Rate limits live in the caller's state: two callers with separate states do not share them.
"""

from .addresses import Resolver, system_resolver
from .clock import Clock, SystemClock
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
from .urls import ValidUrl, parse_url

__all__ = [
    "TRUST_NOTE",
    "Clock",
    "ErrorCode",
    "Page",
    "PageCacheEntry",
    "Resolver",
    "RobotsEntry",
    "RobotsRule",
    "ScrapeError",
    "ScrapeFailure",
    "ScrapeRequest",
    "ScrapeResult",
    "Scraper",
    "ScraperState",
    "SystemClock",
    "ValidUrl",
    "parse_url",
    "system_resolver",
]
