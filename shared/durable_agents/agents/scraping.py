"""``ScrapingAgent`` (binding SCRAPING_AGENT, name ``scraping:<task>``): fetches pages for the other agents.

Message types (both answer ``type="tool_result"``):

``scrape``
    ``content={"url": ..., "maxBytes"?, "timeout"?, "selectorHints"?, "maxTextChars"?, "maxLinks"?}``
    (the limits may also be given under ``"limits"``, in camelCase or snake_case). ``data`` is one
    result: ``{"url", "ok", "fromCache", "untrusted": true, "page": {...}}`` or
    ``{"url", "ok": false, "untrusted": true, "error": {"code", "message", "retryAfter", "status"}}``.
``scrape_many``
    ``content={"urls": [...], <the same limits>}``, at most :data:`MAX_URLS` URLs, fetched in order
    within :data:`TIME_BUDGET_SECONDS` in all: each page's timeout is cut to what is left of it, and
    once less than :data:`MIN_SCRAPE_SECONDS` is left the rest answer ``code="timeout"`` unfetched;
    ``data={"results": [...], "untrusted": true}``.

Everything a page says is third-party data: each page carries ``untrusted: true`` and the scraping
library's trust note, and the response's ``content`` names the URLs only, never page text.

The scraper's state (robots.txt rules, per-host request times, cached pages) is one storage value,
persisted after every message, so politeness and caching hold across turns and processes. Responses
are kept small (the runtime records each one for exactly-once replies): page text defaults to
:data:`DEFAULT_TEXT_CHARS` and is capped at :data:`MAX_TEXT_CHARS` per message.

The transport connects only to addresses the scraper has vetted (no DNS rebinding) and ends every
exchange by the scrape's deadline; ``allow_private_networks`` comes from the settings. Tests set
:attr:`ScrapingAgent.transport` and :attr:`ScrapingAgent.scraper_options` (resolver, clock, limits).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ClassVar

from .base import BaseAgent, content_dict, handles
from .errors import InvalidMessage
from .models import AgentMessage, AgentResponse, ResponseMetadata, Source

if TYPE_CHECKING:
    from ..http import RecordedTransport
    from ..scraping import Scraper, ScrapeRequest, ScrapeResult, ScraperState, ScrapeTransport

MAX_URLS = 5
TIME_BUDGET_SECONDS = 20.0
MIN_SCRAPE_SECONDS = 1.0
"""No page is started with less of the budget left (robots.txt cut short is cached as unreachable)."""
DEFAULT_TEXT_CHARS = 2000
MAX_TEXT_CHARS = 6000
"""Page text per message: one page gets up to this much; ``scrape_many`` shares it among its pages."""
DEFAULT_LINKS = 10
STATE_KEY = "scraper"

_LIMITS = {
    "maxBytes": "max_bytes",
    "max_bytes": "max_bytes",
    "timeout": "timeout",
    "selectorHints": "selector_hints",
    "selector_hints": "selector_hints",
    "maxTextChars": "max_text_chars",
    "max_text_chars": "max_text_chars",
    "maxLinks": "max_links",
    "max_links": "max_links",
}

_network_lock = threading.Lock()
_network: ScrapeTransport | None = None


def network_transport() -> ScrapeTransport:
    """The process-wide real-network transport (one TLS context, loaded on first https use)."""
    global _network
    with _network_lock:
        if _network is None:
            from ..scraping import PinnedTransport

            _network = PinnedTransport()
        return _network


class ScrapingAgent(BaseAgent):
    """Polite, safe page fetching with persisted scraper state (see the module documentation)."""

    transport: ClassVar[ScrapeTransport | RecordedTransport | None] = None
    """Injected transport (a :class:`RecordedTransport` answers by URL); ``None`` = the real network."""
    scraper_options: ClassVar[dict[str, Any]] = {}
    """Extra :class:`Scraper` options (``resolver``, ``clock``, ``min_interval``, ...), for tests."""

    def scraper(self) -> Scraper:
        from ..scraping import Scraper

        return Scraper(
            self.transport or network_transport(),
            allow_private_networks=self.env.settings.scraper_allow_private_networks,
            **self.scraper_options,
        )

    @handles("scrape")
    def _scrape(self, message: AgentMessage) -> AgentResponse:
        content = content_dict(message)
        url = content.get("url")
        if not isinstance(url, str) or not url.strip():
            raise InvalidMessage("a scrape message needs content.url")
        (request,) = self._requests([url.strip()], content)
        (result,) = self._run([request])
        data = _result_data(request.url, result)
        if result.ok and result.page is not None:
            text = (
                f"Fetched {result.page.final_url} (HTTP {result.page.status}"
                + (", from cache" if result.from_cache else "")
                + "); its text is untrusted page content in data.page."
            )
        else:
            error = result.error
            text = f"Could not fetch {request.url}: {error.code if error else 'error'}."
        return self._response(text, data, [result])

    @handles("scrape_many")
    def _scrape_many(self, message: AgentMessage) -> AgentResponse:
        content = content_dict(message)
        urls = content.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u.strip() for u in urls):
            raise InvalidMessage("a scrape_many message needs content.urls, a list of URLs")
        unique = list(dict.fromkeys(u.strip() for u in urls))
        if len(unique) > MAX_URLS:
            raise InvalidMessage(f"scrape_many takes at most {MAX_URLS} URLs, got {len(unique)}")
        requests = self._requests(unique, content)
        results = self._run(requests)
        fetched = sum(1 for result in results if result.ok)
        text = f"Fetched {fetched} of {len(results)} pages; their text is untrusted content in data.results."
        failed = [r.url for r, result in zip(requests, results, strict=True) if not result.ok]
        if failed:
            text += " Not fetched: " + ", ".join(failed) + "."
        data = {
            "results": [_result_data(r.url, result) for r, result in zip(requests, results, strict=True)],
            "untrusted": True,
        }
        return self._response(text, data, results)

    # --- internals --------------------------------------------------------------------------------------

    def _requests(self, urls: list[str], content: dict[str, Any]) -> list[ScrapeRequest]:
        from pydantic import ValidationError

        from ..scraping import ScrapeRequest

        limits: dict[str, Any] = {}
        nested = content.get("limits")
        for source in (content, nested if isinstance(nested, dict) else {}):
            for key, value in source.items():
                if key in _LIMITS:
                    limits[_LIMITS[key]] = value
        share = MAX_TEXT_CHARS // len(urls)
        wanted = limits.get("max_text_chars", min(DEFAULT_TEXT_CHARS, share))
        if isinstance(wanted, int) and not isinstance(wanted, bool):
            limits["max_text_chars"] = max(100, min(wanted, share))
        limits.setdefault("max_links", DEFAULT_LINKS)
        try:
            return [ScrapeRequest(url=url, **limits) for url in urls]
        except (ValidationError, TypeError, ValueError) as error:
            raise InvalidMessage(f"invalid scrape limits: {error}") from None

    def _run(self, requests: list[ScrapeRequest]) -> list[ScrapeResult]:
        from ..scraping import Deadline, ErrorCode, ScrapeError, ScrapeResult

        state = self._state_value()
        before = state.model_dump(mode="json")
        scraper = self.scraper()
        budget = Deadline.after(scraper.clock, TIME_BUDGET_SECONDS)
        results: list[ScrapeResult] = []
        for request in requests:
            left = budget.remaining()
            if left < MIN_SCRAPE_SECONDS:
                error = ScrapeError(
                    code=ErrorCode.TIMEOUT, message="skipped: this message's time budget was used up"
                )
                results.append(ScrapeResult(ok=False, error=error))
                continue
            bounded = request.model_copy(update={"timeout": min(request.timeout, left)})
            results.append(scraper.scrape(bounded, state))
        after = state.model_dump(mode="json")
        if after != before:
            self.storage.put(STATE_KEY, after)
        return results

    def _state_value(self) -> ScraperState:
        from pydantic import ValidationError

        from ..scraping import ScraperState

        try:
            return ScraperState.model_validate(self.storage.get(STATE_KEY) or {})
        except ValidationError:
            return ScraperState()  # an older layout: start afresh rather than fail every message

    def _response(self, text: str, data: dict[str, Any], results: list[ScrapeResult]) -> AgentResponse:
        sources = [
            Source(name="web", url=result.page.final_url, note="untrusted third-party content")
            for result in results
            if result.ok and result.page is not None
        ]
        ok = sum(1 for result in results if result.ok)
        return AgentResponse(
            type="tool_result",
            content=text,
            confidence=round(ok / len(results), 3) if results else 0.0,
            sources=sources,
            metadata=ResponseMetadata(
                intent="scrape",
                tools_used=["scraper"],
                timestamp=self.now(),
                failed_tools=[] if ok == len(results) else ["scraper"],
            ),
            data=data,
        )


def _result_data(url: str, result: ScrapeResult) -> dict[str, Any]:
    if result.ok and result.page is not None:
        return {
            "url": url,
            "ok": True,
            "fromCache": result.from_cache,
            "untrusted": True,
            "page": result.page.model_dump(mode="json"),
        }
    error = result.error.model_dump(mode="json") if result.error is not None else {"code": "fetch_failed"}
    return {
        "url": url,
        "ok": False,
        "untrusted": True,
        "error": {
            "code": error.get("code"),
            "message": error.get("message"),
            "retryAfter": error.get("retry_after"),
            "status": error.get("status"),
        },
    }
