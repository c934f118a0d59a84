"""Per-host rate limit: short waits are taken, longer ones answered with rate_limited + retry_after."""

from __future__ import annotations

import pytest

from durable_agents.scraping import ErrorCode, RobotsEntry, ScrapeFailure, ScrapeRequest, ScraperState
from durable_agents.scraping.ratelimit import RateLimiter
from tests.support.scraping import FakeClock, make_scraper, redirect, requested, web

A = "https://a.example"
B = "https://b.example"
BUDGET = 5.0


def robots_entry(crawl_delay: float | None) -> RobotsEntry:
    return RobotsEntry(policy="allow_all", crawl_delay=crawl_delay, reason="t", fetched_at=0, expires_at=1)


def test_the_interval_is_the_larger_of_the_minimum_and_the_crawl_delay() -> None:
    limiter = RateLimiter(FakeClock(), min_interval=2, max_wait=0)
    assert limiter.interval(robots_entry(None)) == 2
    assert limiter.interval(robots_entry(1)) == 2
    assert limiter.interval(robots_entry(15)) == 15
    assert limiter.interval(robots_entry(10**9)) == 3600


def test_a_request_too_soon_is_refused_with_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, min_interval=5, max_wait=0.5)
    state = ScraperState()
    limiter.acquire("a.example", 5, state, budget=BUDGET)
    clock.advance(1)
    with pytest.raises(ScrapeFailure) as caught:
        limiter.acquire("a.example", 5, state, budget=BUDGET)
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert caught.value.retry_after == pytest.approx(4)
    assert state.last_request["a.example"] == clock.now() - 1  # a refused request takes no slot
    clock.advance(4)
    limiter.acquire("a.example", 5, state, budget=BUDGET)
    assert state.last_request["a.example"] == clock.now()


def test_a_short_wait_is_taken_instead_of_failing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, min_interval=1, max_wait=1)
    state = ScraperState()
    limiter.acquire("a.example", 1, state, budget=BUDGET)
    clock.advance(0.25)
    limiter.acquire("a.example", 1, state, budget=BUDGET)
    assert clock.sleeps == [pytest.approx(0.75)]


def test_a_clock_that_went_back_never_waits_longer_than_the_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, min_interval=1, max_wait=1)
    state = ScraperState(last_request={"a.example": clock.now() + 1000})
    limiter.acquire("a.example", 1, state, budget=BUDGET)
    assert clock.sleeps == [1]


def test_a_wait_longer_than_the_budget_left_is_refused_instead() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, min_interval=1, max_wait=1)
    state = ScraperState()
    limiter.acquire("a.example", 1, state, budget=BUDGET)
    clock.advance(0.25)
    with pytest.raises(ScrapeFailure) as caught:
        limiter.acquire("a.example", 1, state, budget=0.5)
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert caught.value.retry_after == pytest.approx(0.75)
    assert clock.sleeps == []


def test_the_scrape_deadline_bounds_the_wait() -> None:
    transport = web({f"{A}/1": "<p>a1</p>", f"{A}/2": "<p>a2</p>"})
    scraper, clock, _ = make_scraper(transport, min_interval=1, max_wait=1)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{A}/1"), state).ok
    limited = scraper.scrape(ScrapeRequest(url=f"{A}/2", timeout=0.5), state)
    assert limited.error is not None and limited.error.code is ErrorCode.RATE_LIMITED
    assert clock.sleeps == []


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(FakeClock(), min_interval=-1, max_wait=0)


def test_two_domains_are_limited_independently() -> None:
    transport = web(
        {f"{A}/1": "<p>a1</p>", f"{A}/2": "<p>a2</p>", f"{B}/1": "<p>b1</p>", f"{B}/2": "<p>b2</p>"}
    )
    scraper, clock, _ = make_scraper(transport, min_interval=10, max_wait=0)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{A}/1"), state).ok
    assert scraper.scrape(ScrapeRequest(url=f"{B}/1"), state).ok  # another host: not limited by a.example
    clock.advance(3)
    limited = scraper.scrape(ScrapeRequest(url=f"{A}/2"), state)
    assert limited.error is not None and limited.error.code is ErrorCode.RATE_LIMITED
    assert limited.error.retry_after == pytest.approx(7)
    clock.advance(7)
    assert scraper.scrape(ScrapeRequest(url=f"{A}/2"), state).ok
    assert scraper.scrape(ScrapeRequest(url=f"{B}/2"), state).ok
    assert f"{A}/2" in requested(transport)


def test_the_scraper_waits_within_its_budget() -> None:
    transport = web({f"{A}/1": "<p>a1</p>", f"{A}/2": "<p>a2</p>"})
    scraper, clock, _ = make_scraper(transport, min_interval=1, max_wait=1)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{A}/1"), state).ok
    assert scraper.scrape(ScrapeRequest(url=f"{A}/2"), state).ok
    assert clock.sleeps == [1]


def test_cached_pages_do_not_count_against_the_limit() -> None:
    transport = web({f"{A}/1": "<p>a1</p>"})
    scraper, clock, _ = make_scraper(transport, min_interval=60, max_wait=0)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{A}/1"), state).ok
    again = scraper.scrape(ScrapeRequest(url=f"{A}/1"), state)
    assert again.ok and again.from_cache
    assert clock.sleeps == []


def test_a_same_host_redirect_is_part_of_the_admitted_request() -> None:
    transport = web({f"{A}/old": redirect(f"{A}/old", "/new", 301), f"{A}/new": "<p>new</p>"})
    scraper, _, _ = make_scraper(transport, min_interval=30, max_wait=0)
    result = scraper.scrape(ScrapeRequest(url=f"{A}/old"), ScraperState())
    assert result.ok and result.page is not None and result.page.final_url == f"{A}/new"


def test_a_redirect_to_a_recently_contacted_host_is_rate_limited() -> None:
    transport = web({f"{B}/1": "<p>b1</p>", f"{A}/go": redirect(f"{A}/go", f"{B}/2"), f"{B}/2": "<p>b2</p>"})
    scraper, _, _ = make_scraper(transport, min_interval=30, max_wait=0)
    state = ScraperState()
    assert scraper.scrape(ScrapeRequest(url=f"{B}/1"), state).ok
    result = scraper.scrape(ScrapeRequest(url=f"{A}/go"), state)
    assert result.error is not None and result.error.code is ErrorCode.RATE_LIMITED
    assert f"{B}/2" not in requested(transport)
