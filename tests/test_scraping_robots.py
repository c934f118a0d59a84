"""robots.txt: parsing and matching, status handling, caching per origin with expiry, crawl-delay."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from durable_agents.http import USER_AGENT, HttpError, HttpResponse, HttpTimeout
from durable_agents.scraping import ErrorCode, RobotsEntry, ScrapeRequest, ScrapeResult, ScraperState
from durable_agents.scraping.robots import MAX_RULES, is_allowed
from durable_agents.scraping.robotstxt import parse_robots, product_token
from durable_agents.scraping.urls import parse_url
from tests.support.scraping import FakeClock, RecordedWeb, make_scraper, redirect, requested, response, web

UA = USER_AGENT
SITE = "https://travel.example"


def allowed(robots_txt: str, path: str, user_agent: str = UA) -> bool:
    rules, delay = parse_robots(robots_txt, user_agent)
    entry = RobotsEntry(
        policy="rules", rules=rules, crawl_delay=delay, reason="test", fetched_at=0, expires_at=1
    )
    return is_allowed(entry, parse_url(SITE + path))


def test_product_token() -> None:
    assert product_token(UA) == "durable-agents"
    assert product_token("Googlebot/2.1") == "googlebot"


def test_disallowed_prefixes_and_everything_else_allowed() -> None:
    robots = "User-agent: *\nDisallow: /private\nDisallow: /tmp/\n"
    assert not allowed(robots, "/private")
    assert not allowed(robots, "/private/deeper?x=1")
    assert not allowed(robots, "/privateer")  # a prefix, as the standard says
    assert not allowed(robots, "/tmp/a")
    assert allowed(robots, "/tmp")
    assert allowed(robots, "/")
    assert allowed(robots, "/guides/paris")


def test_longest_match_wins_and_allow_wins_a_tie() -> None:
    robots = """\
User-agent: *
Disallow: /
Allow: /guides/
Disallow: /guides/drafts/
Disallow: /tie
Allow: /tie
"""
    assert not allowed(robots, "/admin")
    assert allowed(robots, "/guides/rome")  # first-match (urllib's can_fetch) would say no
    assert not allowed(robots, "/guides/drafts/x")
    assert allowed(robots, "/tie")


def test_wildcards_and_end_anchor() -> None:
    robots = "User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\nDisallow: /*/print\n"
    assert not allowed(robots, "/files/guide.pdf")
    assert allowed(robots, "/files/guide.pdf.html")
    assert not allowed(robots, "/search?q=paris")
    assert allowed(robots, "/search")
    assert not allowed(robots, "/city/print")
    assert allowed(robots, "/print")


def test_our_own_group_applies_instead_of_the_star_group() -> None:
    robots = (
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: Durable-Agents\nDisallow: /no-bots\nCrawl-delay: 7\n\n"
        "User-agent: otherbot\nDisallow: /everything\n"
    )
    assert allowed(robots, "/guides")
    assert not allowed(robots, "/no-bots/x")
    assert allowed(robots, "/everything")
    assert parse_robots(robots, UA)[1] == 7.0
    assert not allowed(robots, "/guides", user_agent="somebot/1.0")


def test_crawl_delay_and_request_rate_of_the_star_group() -> None:
    assert parse_robots("User-agent: *\nCrawl-delay: 3\nDisallow: /x\n", UA)[1] == 3.0
    assert parse_robots("User-agent: *\nRequest-rate: 1/10\nDisallow: /x\n", UA)[1] == 10.0
    assert parse_robots("User-agent: *\nCrawl-delay: 999999\n", UA)[1] == 3600.0
    assert parse_robots("User-agent: *\nDisallow: /x\n", UA)[1] is None


def test_groups_follow_rfc_9309_not_urllib_robotparser() -> None:
    # a blank line does not end a group (robotparser dropped these rules)
    assert not allowed("User-agent: *\n\nDisallow: /private\n", "/private/x")
    # every group naming us is combined, and so is every "*" group (robotparser kept the first only)
    ours = (
        "User-agent: durable-agents\nDisallow: /a\n\n"
        "User-agent: other\nDisallow: /\n\n"
        "User-agent: durable-agents\nDisallow: /b\n"
    )
    assert (allowed(ours, "/a"), allowed(ours, "/b"), allowed(ours, "/c")) == (False, False, True)
    stars = "User-agent: *\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n"
    assert (allowed(stars, "/a"), allowed(stars, "/b")) == (False, False)
    # a user-agent line right after another one joins the group; after a rule it starts a new one
    shared = (
        "User-agent: other\nUser-agent: Durable-Agents/9\nDisallow: /shared\nUser-agent: x\nDisallow: /x\n"
    )
    assert not allowed(shared, "/shared") and allowed(shared, "/x")
    # rules before any user-agent line belong to no group; crawl-delay and sitemap end no group
    assert allowed("Disallow: /\nUser-agent: *\nDisallow: /other\n", "/page")
    delayed = (
        "User-agent: *\nCrawl-delay: 2\nSitemap: https://travel.example/s.xml\n"
        "User-agent: durable-agents\nDisallow: /d\n"
    )
    assert not allowed(delayed, "/d") and parse_robots(delayed, UA)[1] == 2.0
    # "/*?" is "any URL with a query" (robotparser read it as "/*", everything)
    assert not allowed("User-agent: *\nDisallow: /*?\n", "/search?q=lisbon")
    assert allowed("User-agent: *\nDisallow: /*?\n", "/search")
    # CR line ends, comments, spacing and key case
    assert not allowed("user-AGENT:*\r  DISALLOW :  /x   # no x\r", "/x/y")


def test_crawl_delays_in_any_form_never_break_parsing() -> None:
    assert parse_robots("User-agent: *\nCrawl-delay: 0.5\n", UA)[1] == 0.5
    assert parse_robots("User-agent: *\nRequest-rate: 3/1m\n", UA)[1] == 20.0
    assert parse_robots("User-agent: *\nRequest-rate: 1/2h\n", UA)[1] == 3600.0  # capped
    for junk in ("\u00b2", "\u0661", "nan", "inf", "-1", "1e9", "", "5 seconds", "0/10", "1/x", "\u00b2/1"):
        assert parse_robots(f"User-agent: *\nCrawl-delay: {junk}\nRequest-rate: {junk}\n", UA)[1] is None
    # "²" made urllib.robotparser raise ValueError out of the scrape; now it is just ignored
    transport = web(
        {f"{SITE}/x": "<p>ok</p>"}, robots={SITE: "User-agent: *\nCrawl-delay: \u00b2\nDisallow: /p\n"}
    )
    result, _ = scrape(transport, f"{SITE}/x", ScraperState())
    assert result.ok


def test_rules_saved_in_the_old_layout_are_refused_not_misread() -> None:
    # urllib.robotparser's quoting ("%2A" for a wildcard) means a literal "*" now: such a state must not load
    old = {"policy": "rules", "rules": [{"allow": False, "path": "/%2A.pdf%24"}], "reason": "HTTP 200",
           "fetched_at": 0, "expires_at": 1}  # fmt: skip
    with pytest.raises(ValidationError):
        ScraperState.model_validate({"robots": {SITE: old}})


def test_an_empty_or_unrelated_robots_txt_allows_everything() -> None:
    assert allowed("", "/anything")
    assert allowed("# just a comment\nSitemap: https://travel.example/sitemap.xml\n", "/x")
    assert allowed("User-agent: otherbot\nDisallow: /\n", "/x")


def scrape(
    transport: RecordedWeb, url: str, state: ScraperState, **options: Any
) -> tuple[ScrapeResult, FakeClock]:
    scraper, clock, _ = make_scraper(transport, **options)
    return scraper.scrape(ScrapeRequest(url=url), state), clock


def test_a_disallowed_page_is_never_requested() -> None:
    transport = web(
        {f"{SITE}/private/plan": "<p>x</p>"}, robots={SITE: "User-agent: *\nDisallow: /private\n"}
    )
    result, _ = scrape(transport, f"{SITE}/private/plan", ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert "/private/plan" in result.error.message
    assert requested(transport) == [f"{SITE}/robots.txt"]


def test_an_allowed_page_is_fetched_after_robots() -> None:
    transport = web({f"{SITE}/guides": "<p>Guides</p>"}, robots={SITE: "User-agent: *\nDisallow: /private\n"})
    result, _ = scrape(transport, f"{SITE}/guides", ScraperState())
    assert result.ok
    assert requested(transport) == [f"{SITE}/robots.txt", f"{SITE}/guides"]
    headers = transport.requests[0][2]
    assert headers["User-Agent"].startswith("durable-agents/")


@pytest.mark.parametrize("status", [404, 410, 400])
def test_a_missing_robots_txt_allows_everything(status: int) -> None:
    transport = web({f"{SITE}/x": "<p>ok</p>"}, robots={SITE: response("r", "gone", status=status)})
    state = ScraperState()
    result, _ = scrape(transport, f"{SITE}/x", state)
    assert result.ok
    assert state.robots[SITE].policy == "allow_all"


@pytest.mark.parametrize("status", [401, 403])
def test_a_forbidden_robots_txt_disallows_everything(status: int) -> None:
    transport = web({f"{SITE}/x": "<p>ok</p>"}, robots={SITE: response("r", "no", status=status)})
    result, _ = scrape(transport, f"{SITE}/x", ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert str(status) in result.error.message
    assert requested(transport) == [f"{SITE}/robots.txt"]


@pytest.mark.parametrize(
    "answer",
    [
        response("r", "oops", status=500),
        response("r", "busy", status=503),
        response("r", "slow down", status=429),
        HttpTimeout("timed out"),
        HttpError("connection refused"),
    ],
    ids=["500", "503", "429", "timeout", "refused"],
)
def test_an_unavailable_robots_txt_disallows_conservatively_for_a_short_while(
    answer: HttpResponse | Exception,
) -> None:
    transport = web({f"{SITE}/x": "<p>ok</p>"}, robots={SITE: answer})
    state = ScraperState()
    scraper, clock, _ = make_scraper(transport, robots_error_ttl=120, robots_ttl=3600)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/x"), state)
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert state.robots[SITE].expires_at == clock.now() + 120
    transport.add(
        "GET", f"{SITE}/robots.txt", response("r", "User-agent: *\nDisallow:\n", content_type="text/plain")
    )
    clock.advance(121)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/x"), state).ok


def test_robots_txt_is_read_as_utf8_whatever_its_declared_charset() -> None:
    robots = response("r", "User-agent: *\nDisallow: /privé\n", content_type="text/plain; charset=bogus")
    transport = web({f"{SITE}/priv%C3%A9/x": "<p>x</p>", f"{SITE}/ok": "<p>ok</p>"}, robots={SITE: robots})
    scraper, _, _ = make_scraper(transport, min_interval=0)
    state = ScraperState()
    blocked = scraper.scrape(ScrapeRequest(url=f"{SITE}/privé/x"), state)
    assert blocked.error is not None and blocked.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/ok"), state).ok


def test_a_compressed_robots_txt_cannot_be_read_and_disallows() -> None:
    gzipped = response(
        "r", b"\x1f\x8b\x08\x00garbage", content_type="text/plain", headers={"Content-Encoding": "gzip"}
    )
    transport = web({f"{SITE}/x": "<p>ok</p>"}, robots={SITE: gzipped})
    state = ScraperState()
    result, clock = scrape(transport, f"{SITE}/x", state, robots_error_ttl=120)
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert "gzip" in result.error.message and state.robots[SITE].expires_at == clock.now() + 120


def test_a_huge_robots_txt_disallows_conservatively() -> None:
    transport = web({f"{SITE}/x": "<p>ok</p>"}, robots={SITE: "User-agent: *\n" + "Disallow: /x\n" * 60_000})
    result, _ = scrape(transport, f"{SITE}/x", ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED


def test_too_many_rules_disallow_conservatively() -> None:
    rules = "".join(f"Disallow: /p{i}\n" for i in range(MAX_RULES + 1))
    transport = web({f"{SITE}/x": "<p>ok</p>"}, robots={SITE: "User-agent: *\n" + rules})
    state = ScraperState()
    result, _ = scrape(transport, f"{SITE}/x", state)
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert state.robots[SITE].rules == []


def test_robots_is_cached_per_origin_until_it_expires() -> None:
    transport = web(
        {f"{SITE}/a": "<p>a</p>", f"{SITE}/b": "<p>b</p>", "https://other.example/c": "<p>c</p>"},
        robots={SITE: "User-agent: *\nDisallow: /private\n"},
    )
    state = ScraperState()
    scraper, clock, _ = make_scraper(transport, robots_ttl=3600, min_interval=0)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/a"), state).ok
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/b"), state).ok
    assert scraper.scrape(ScrapeRequest(url="https://other.example/c"), state).ok
    assert requested(transport).count(f"{SITE}/robots.txt") == 1
    assert requested(transport).count("https://other.example/robots.txt") == 1
    clock.advance(3601)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/b"), state).ok
    assert requested(transport).count(f"{SITE}/robots.txt") == 2


def test_http_and_https_are_different_origins() -> None:
    transport = web(
        {f"{SITE}/a": "<p>a</p>", "http://travel.example/a": "<p>a</p>"},
        robots={"http://travel.example": "User-agent: *\nDisallow: /\n"},
    )
    state = ScraperState()
    scraper, _, _ = make_scraper(transport, min_interval=0)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/a"), state).ok
    result = scraper.scrape(ScrapeRequest(url="http://travel.example/a"), state)
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED


def test_a_redirected_robots_txt_is_followed() -> None:
    transport = web({f"{SITE}/private/x": "<p>x</p>"})
    transport.add(
        "GET", f"{SITE}/robots.txt", redirect(f"{SITE}/robots.txt", "https://cdn.example/robots.txt", 301)
    )
    transport.add(
        "GET",
        "https://cdn.example/robots.txt",
        response("r", "User-agent: *\nDisallow: /private\n", content_type="text/plain"),
    )
    result, _ = scrape(transport, f"{SITE}/private/x", ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.ROBOTS_DISALLOWED
    assert requested(transport) == [f"{SITE}/robots.txt", "https://cdn.example/robots.txt"]


def test_crawl_delay_is_honoured_between_requests() -> None:
    transport = web(
        {f"{SITE}/a": "<p>a</p>", f"{SITE}/b": "<p>b</p>"},
        robots={SITE: "User-agent: *\nCrawl-delay: 10\nDisallow: /private\n"},
    )
    state = ScraperState()
    scraper, clock, _ = make_scraper(transport, min_interval=1, max_wait=1)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/a"), state).ok
    clock.advance(4)
    result = scraper.scrape(ScrapeRequest(url=f"{SITE}/b"), state)
    assert result.error is not None and result.error.code is ErrorCode.RATE_LIMITED
    assert result.error.retry_after == pytest.approx(6)
    clock.advance(6)
    assert scraper.scrape(ScrapeRequest(url=f"{SITE}/b"), state).ok
    assert requested(transport) == [f"{SITE}/robots.txt", f"{SITE}/a", f"{SITE}/b"]
