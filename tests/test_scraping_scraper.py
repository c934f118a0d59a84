"""The scraper end to end over recorded HTTP: cache, limits, redirects, errors, and the state it keeps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from durable_agents.config import settings
from durable_agents.http import HttpError, HttpResponse, HttpTimeout, RecordedTransport
from durable_agents.scraping import ErrorCode, Scraper, ScrapeRequest, ScrapeResult, ScraperState, ValidUrl
from durable_agents.scraping.addresses import IPAddress
from durable_agents.scraping.fetch import MAX_REDIRECTS
from durable_agents.scraping.scraper import cache_key
from durable_agents.scraping.urls import parse_url
from tests.support.scraping import (
    FakeClock,
    FakeResolver,
    RecordedWeb,
    make_scraper,
    redirect,
    requested,
    response,
    web,
)

SITE = "https://travel.example"


def page_text(result: ScrapeResult) -> str:
    assert result.page is not None, result.error
    return result.page.text


def test_a_fresh_cached_page_is_served_without_any_request() -> None:
    transport = web({f"{SITE}/paris": "<title>Paris</title><p>v1</p>"})
    scraper, clock, resolver = make_scraper(transport, cache_ttl=600)
    state = ScraperState()
    first = scraper.scrape(ScrapeRequest(url=f"{SITE}/paris"), state)
    assert first.ok and not first.from_cache
    calls, lookups = len(transport.requests), len(resolver.lookups)
    clock.advance(599)
    second = scraper.scrape(ScrapeRequest(url="HTTPS://TRAVEL.example:443/paris#top"), state)
    assert second.ok and second.from_cache
    assert second.page == first.page
    assert (len(transport.requests), len(resolver.lookups)) == (calls, lookups)


def test_an_expired_cache_entry_is_fetched_again() -> None:
    transport = web({f"{SITE}/paris": "<p>v1</p>"})
    scraper, clock, _ = make_scraper(transport, cache_ttl=600)
    state = ScraperState()
    assert page_text(scraper.scrape(ScrapeRequest(url=f"{SITE}/paris"), state)) == "v1"
    transport.add("GET", f"{SITE}/paris", response(f"{SITE}/paris", "<p>v2</p>"))
    clock.advance(601)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/paris"), state)
    assert result.ok and not result.from_cache
    assert result.page is not None and result.page.text == "v2"
    assert requested(transport).count(f"{SITE}/paris") == 2


def test_different_extraction_options_are_cached_separately() -> None:
    transport = web({f"{SITE}/p": "<div id='a'>A</div><div id='b'>B</div>"})
    scraper, _, _ = make_scraper(transport, min_interval=0)
    state = ScraperState()
    assert page_text(scraper.scrape(ScrapeRequest(url=f"{SITE}/p", selector_hints=("#a",)), state)) == "A"
    other = scraper.scrape(ScrapeRequest(url=f"{SITE}/p", selector_hints=("#b",)), state)
    assert not other.from_cache and other.page is not None and other.page.text == "B"
    assert cache_key(parse_url(f"{SITE}/p"), ScrapeRequest(url=f"{SITE}/p")) != cache_key(
        parse_url(f"{SITE}/p"), ScrapeRequest(url=f"{SITE}/p", max_links=1)
    )


def test_failures_are_not_cached() -> None:
    transport = web({f"{SITE}/flaky": response(f"{SITE}/flaky", "down", status=503)})
    scraper, _, _ = make_scraper(transport, min_interval=0)
    state = ScraperState()
    failed = scraper.scrape(ScrapeRequest(url=f"{SITE}/flaky"), state)
    assert failed.error is not None and failed.error.code is ErrorCode.HTTP_ERROR
    assert state.pages == {}
    transport.add("GET", f"{SITE}/flaky", response(f"{SITE}/flaky", "<p>up</p>"))
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/flaky"), state).ok


def test_a_body_over_max_bytes_is_too_large() -> None:
    transport = web({f"{SITE}/big": "<p>" + "x" * 5000 + "</p>"})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/big", max_bytes=1000), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.TOO_LARGE
    assert "1000" in result.error.message


def test_a_timeout_is_reported_as_such() -> None:
    transport = web({f"{SITE}/slow": HttpTimeout("GET timed out after 5s")})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/slow"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.TIMEOUT


class SlowWeb(RecordedWeb):
    """A recorded web where each request takes ``delays[url]`` seconds of the fake clock."""

    def __init__(self, clock: FakeClock, delays: dict[str, float]) -> None:
        super().__init__()
        self.clock, self.delays = clock, delays

    def __call__(self, url: ValidUrl, addresses: Sequence[IPAddress], **kwargs: Any) -> HttpResponse:
        answer = super().__call__(url, addresses, **kwargs)
        self.clock.advance(self.delays.get(url.url, 0.0))
        return answer


@pytest.mark.parametrize(
    ("delay_of_a", "ok", "timeouts"), [(0.5, True, [2.0, 1.0, 0.5]), (1.0, False, [2.0, 1.0])]
)
def test_one_deadline_covers_robots_txt_and_the_whole_redirect_chain(
    delay_of_a: float, ok: bool, timeouts: list[float]
) -> None:
    clock = FakeClock()
    transport = SlowWeb(clock, {f"{SITE}/robots.txt": 1.0, f"{SITE}/a": delay_of_a})
    transport.add("GET", f"{SITE}/robots.txt", response("r", "User-agent: *\nDisallow:\n"))
    transport.add("GET", f"{SITE}/a", redirect(f"{SITE}/a", "/b"))
    transport.add("GET", f"{SITE}/b", response(f"{SITE}/b", "<p>b</p>"))
    scraper = Scraper(transport, resolver=FakeResolver(), clock=clock, min_interval=0)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/a", timeout=2.0), ScraperState())
    assert result.ok is ok
    if not ok:
        assert result.error is not None and result.error.code is ErrorCode.TIMEOUT
        assert f"{SITE}/b" not in requested(transport)
    assert transport.timeouts == pytest.approx(timeouts)  # each exchange gets only what is left


def test_the_rate_limit_wait_counts_against_the_deadline() -> None:
    clock = FakeClock()
    transport = SlowWeb(clock, {})
    for path in ("/robots.txt", "/1", "/2"):
        transport.add("GET", f"{SITE}{path}", response(f"{SITE}{path}", "User-agent: *\nDisallow:\n"))
    scraper = Scraper(transport, resolver=FakeResolver(), clock=clock, min_interval=1, max_wait=1)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/1"), state).ok
    clock.advance(0.25)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/2", timeout=2.0), state).ok
    assert clock.sleeps == [pytest.approx(0.75)]
    assert transport.timeouts[-1] == pytest.approx(1.25)


def test_each_request_goes_to_the_addresses_vetted_for_its_host() -> None:
    transport = web(
        {f"{SITE}/go": redirect(f"{SITE}/go", "https://cdn.example/x"), "https://cdn.example/x": "<p>x</p>"}
    )
    resolver = FakeResolver({"travel.example": ["93.184.216.34"], "cdn.example": ["2606:4700::1", "1.1.1.1"]})
    scraper, _, _ = make_scraper(transport, resolver=resolver)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/go"), ScraperState()).ok
    assert transport.pinned == [
        (f"{SITE}/robots.txt", ("93.184.216.34",)),
        (f"{SITE}/go", ("93.184.216.34",)),
        ("https://cdn.example/robots.txt", ("2606:4700::1", "1.1.1.1")),
        ("https://cdn.example/x", ("2606:4700::1", "1.1.1.1")),
    ]
    assert resolver.lookups == ["travel.example", "cdn.example"]  # once per host, never again to connect


def test_a_plain_recorded_transport_is_answered_by_url() -> None:
    recorded = RecordedTransport()
    recorded.add("GET", f"{SITE}/robots.txt", response("r", "User-agent: *\nDisallow:\n"))
    recorded.add("GET", f"{SITE}/p", response(f"{SITE}/p", "<p>recorded</p>"))
    scraper = Scraper(recorded, resolver=FakeResolver(), clock=FakeClock())
    assert page_text(scraper.scrape(ScrapeRequest(url=f"{SITE}/p"), ScraperState())) == "recorded"
    assert [url for _, url, _ in recorded.requests] == [f"{SITE}/robots.txt", f"{SITE}/p"]


def test_a_refused_connection_is_a_fetch_failure() -> None:
    transport = web({f"{SITE}/down": HttpError("connection refused")})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/down"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.FETCH_FAILED


@pytest.mark.parametrize("status", [400, 404, 410, 500, 502])
def test_error_statuses_are_http_errors(status: int) -> None:
    transport = web({f"{SITE}/x": response(f"{SITE}/x", "nope", status=status)})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/x"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.HTTP_ERROR
    assert result.error.status == status


def test_retry_after_of_a_429_is_passed_on() -> None:
    transport = web({f"{SITE}/x": response(f"{SITE}/x", "", status=429, headers={"Retry-After": "30"})})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/x"), ScraperState())
    assert result.error is not None and (result.error.status, result.error.retry_after) == (429, 30.0)


@pytest.mark.parametrize(
    ("header", "expected"), [("\u00b2", None), ("\u0661\u0662", None), ("soon", None), ("99999999", 3600.0)]
)
def test_an_odd_retry_after_is_ignored_or_capped_never_a_crash(header: str, expected: float | None) -> None:
    # "²" is one Latin-1 byte in a header; str.isdigit() accepts it and float() then raised ValueError
    transport = web({f"{SITE}/x": response(f"{SITE}/x", "", status=503, headers={"Retry-After": header})})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/x"), ScraperState())
    assert result.error is not None and (result.error.status, result.error.retry_after) == (503, expected)


def test_unsupported_content_through_the_scraper() -> None:
    transport = web(
        {f"{SITE}/map.png": response(f"{SITE}/map.png", b"\x89PNG\x00", content_type="image/png")}
    )
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/map.png"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.UNSUPPORTED_CONTENT


def test_redirects_are_followed_to_the_final_page() -> None:
    transport = web(
        {
            "http://travel.example/rome": redirect("http://travel.example/rome", f"{SITE}/rome", 301),
            f"{SITE}/rome": redirect(f"{SITE}/rome", "/rome/", 308),
            f"{SITE}/rome/": "<title>Rome</title><p>Eternal city</p><a href='colosseum'>Colosseum</a>",
        }
    )
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url="http://travel.example/rome"), ScraperState())
    assert result.ok and result.page is not None
    assert (result.page.url, result.page.final_url) == ("http://travel.example/rome", f"{SITE}/rome/")
    assert result.page.links == [f"{SITE}/rome/colosseum"]  # resolved against the final URL
    assert requested(transport) == [
        "http://travel.example/robots.txt",
        "http://travel.example/rome",
        f"{SITE}/robots.txt",  # another origin: its own robots.txt
        f"{SITE}/rome",
        f"{SITE}/rome/",
    ]


def test_a_redirect_into_a_robots_disallowed_path_is_not_followed() -> None:
    transport = web(
        {
            f"{SITE}/go": redirect(f"{SITE}/go", "https://other.example/private/x"),
            "https://other.example/private/x": "x",
        },
        robots={"https://other.example": "User-agent: *\nDisallow: /private\n"},
    )
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/go"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert "https://other.example/private/x" not in requested(transport)


def test_more_than_five_redirects_fail() -> None:
    pages: dict[str, HttpResponse | str] = {
        f"{SITE}/r{i}": redirect(f"{SITE}/r{i}", f"/r{i + 1}") for i in range(MAX_REDIRECTS + 1)
    }
    pages[f"{SITE}/r{MAX_REDIRECTS + 1}"] = "<p>never</p>"
    transport = web(pages)
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/r0"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.FETCH_FAILED
    assert "redirects" in result.error.message
    assert f"{SITE}/r{MAX_REDIRECTS + 1}" not in requested(transport)


def test_exactly_five_redirects_are_fine() -> None:
    pages: dict[str, HttpResponse | str] = {
        f"{SITE}/r{i}": redirect(f"{SITE}/r{i}", f"/r{i + 1}") for i in range(MAX_REDIRECTS)
    }
    pages[f"{SITE}/r{MAX_REDIRECTS}"] = "<p>arrived</p>"
    scraper, _, _ = make_scraper(web(pages))
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/r0"), ScraperState())
    assert result.ok and result.page is not None and result.page.text == "arrived"


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://travel.example/x", "javascript:alert(1)",
                                      "https://user:pw@travel.example/"])  # fmt: skip
def test_a_redirect_to_an_invalid_url_fails(location: str) -> None:
    transport = web({f"{SITE}/go": redirect(f"{SITE}/go", location)})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/go"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.INVALID_URL
    assert "redirects" in result.error.message


def test_a_redirect_without_location_is_an_http_error() -> None:
    transport = web({f"{SITE}/go": response(f"{SITE}/go", status=302, content_type=None)})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/go"), ScraperState())
    assert result.error is not None and (result.error.code, result.error.status) == (
        ErrorCode.HTTP_ERROR,
        302,
    )


def test_results_are_either_a_page_or_an_error() -> None:
    with pytest.raises(ValueError):
        ScrapeResult(ok=True)
    with pytest.raises(ValueError):
        ScrapeResult(ok=False)


def test_request_limits_are_validated() -> None:
    for bad in ({"max_bytes": 0}, {"max_bytes": 100 * 1024 * 1024}, {"timeout": 0}, {"timeout": 120},
                {"max_text_chars": 10}, {"max_links": -1}, {"surprise": 1}):  # fmt: skip
        with pytest.raises(ValueError):
            ScrapeRequest.model_validate({"url": SITE, **bad})
    request = ScrapeRequest(url=SITE)
    assert (request.max_bytes, request.timeout) == (1024 * 1024, 5.0)


def test_state_round_trips_through_json() -> None:
    transport = web(
        {f"{SITE}/a": "<title>A</title><p>a</p><a href='/b'>b</a>", "https://other.example/x": "<p>x</p>"},
        robots={SITE: "User-agent: *\nDisallow: /private\nCrawl-delay: 1\n"},
    )
    scraper, clock, _ = make_scraper(transport)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/a"), state).ok
    assert scraper.scrape(ScrapeRequest(url="https://other.example/x"), state).ok
    dumped = state.model_dump(mode="json")
    restored = ScraperState.model_validate(dumped)
    assert restored == state
    assert restored.model_dump(mode="json") == dumped
    assert set(restored.robots) == {SITE, "https://other.example"}
    assert set(restored.last_request) == {"travel.example", "other.example"}
    # a restored state serves the cache and keeps the limits, in a new scraper without any transport
    fresh, _, _ = make_scraper(RecordedWeb(), clock=clock, max_wait=0)
    assert fresh.scrape(ScrapeRequest(url=f"{SITE}/a"), restored).from_cache
    limited = fresh.scrape(ScrapeRequest(url=f"{SITE}/b"), restored)
    assert limited.error is not None and limited.error.code is ErrorCode.RATE_LIMITED
    disallowed = fresh.scrape(ScrapeRequest(url=f"{SITE}/private/b"), restored)
    assert disallowed.error is not None and disallowed.error.code is ErrorCode.ROBOTS_DISALLOWED


def test_state_stays_bounded_in_entries_and_bytes() -> None:
    pages = {f"https://site{i}.example/p": f"<p>{'word ' * 1500}{i}</p>" for i in range(60)}
    transport = web(pages)
    max_bytes = 40_000
    scraper, clock, _ = make_scraper(transport, max_state_bytes=max_bytes)
    state = ScraperState()
    for url in pages:
        assert scraper.scrape(ScrapeRequest(url=url), state).ok
        clock.advance(1)
        assert state.size_bytes() <= max_bytes
    assert len(state.robots) <= ScraperState.MAX_ROBOTS
    assert len(state.pages) <= ScraperState.MAX_PAGES
    assert "https://site59.example/p 10000 40" in state.pages  # the newest survive
    assert "https://site0.example/p 10000 40" not in state.pages  # the oldest go
    assert "https://site59.example" in state.robots


def test_host_entries_are_bounded_and_forgotten_once_they_no_longer_matter() -> None:
    state = ScraperState(last_request={f"h{i}.example": float(i) for i in range(400)})
    state.prune(now=400.0, max_bytes=10**6)
    assert len(state.last_request) == ScraperState.MAX_HOSTS
    assert "h399.example" in state.last_request and "h0.example" not in state.last_request
    state.prune(now=400.0 + 3600.0, max_bytes=10**6)
    assert state.last_request == {}


def test_expired_entries_are_dropped() -> None:
    transport = web({f"{SITE}/a": "<p>a</p>"})
    scraper, clock, _ = make_scraper(transport, cache_ttl=60, robots_ttl=120)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/a"), state).ok
    clock.advance(200)
    scraper.scrape(ScrapeRequest(url="ftp://x/"), state)
    assert state.pages == {} and state.robots == {}


def test_from_settings_reads_the_private_network_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = web({"http://127.0.0.1:9/": "<p>local</p>"})
    monkeypatch.setenv("STATE_TABLE", "t")
    for value, expected_ok in (("false", False), ("true", True)):
        monkeypatch.setenv("SCRAPER_ALLOW_PRIVATE_NETWORKS", value)
        settings.cache_clear()
        scraper = Scraper.from_settings(transport, clock=FakeClock())
        assert scraper.scrape(ScrapeRequest(url="http://127.0.0.1:9/"), ScraperState()).ok is expected_ok
    settings.cache_clear()
