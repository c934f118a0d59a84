"""URL validation and normalisation, on their own and through the scraper (no request for a bad URL)."""

from __future__ import annotations

import pytest

from durable_agents.scraping import ErrorCode, ScrapeFailure, ScrapeRequest, ScraperState, parse_url
from durable_agents.scraping.urls import MAX_URL_LENGTH, join_url
from tests.support.scraping import make_scraper, web


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file.txt",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@example.com",
        "gopher://example.com/",
        "//example.com/no-scheme",
        "example.com/no-scheme",
        "",
        "   ",
    ],
)
def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(ScrapeFailure) as caught:
        parse_url(url)
    assert caught.value.code is ErrorCode.INVALID_URL


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@example.com/",
        "https://user@example.com/",
        "http://example.com\\@evil.com/",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://exa mple.com/",
        "https://example.com/a\nb",
        "https://example.com/\x00",
        "https://[::1/",
        "https://[fe80::1%25eth0]/",
        "https://-bad-.example.com/",
        "https://a..b.com/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://010.0.0.1/",
        "https://example.123/",
        "https://",
        "https://example.com/\ud800",
        "https://[/",
    ],
)
def test_malformed_urls_credentials_and_ambiguous_hosts_are_refused(url: str) -> None:
    with pytest.raises(ScrapeFailure) as caught:
        parse_url(url)
    assert caught.value.code is ErrorCode.INVALID_URL


def test_length_is_bounded() -> None:
    base = "https://example.com/"
    assert parse_url(base + "a" * (MAX_URL_LENGTH - len(base))).url.endswith("a")
    with pytest.raises(ScrapeFailure):
        parse_url(base + "a" * (MAX_URL_LENGTH - len(base) + 1))


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("HTTPS://Example.COM", "https://example.com/"),
        ("https://example.com:443/a?b=1#frag", "https://example.com/a?b=1"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com./", "https://example.com/"),
        ("https://example.com/a b?q=c d", "https://example.com/a%20b?q=c%20d"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("http://[::FFFF:1.2.3.4]:8080/", "http://[::ffff:1.2.3.4]:8080/"),
        ("http://[::ffff:102:304]/", "http://[::ffff:1.2.3.4]/"),
        ("  https://example.com/trimmed  ", "https://example.com/trimmed"),
    ],
)
def test_normal_form(raw: str, normal: str) -> None:
    assert parse_url(raw).url == normal


def test_parts_and_origin() -> None:
    url = parse_url("https://Sub.Example.com:8443/p/q?x=1")
    assert (url.scheme, url.host, url.port, url.target) == ("https", "sub.example.com", 8443, "/p/q?x=1")
    assert url.origin == "https://sub.example.com:8443"
    assert parse_url("http://example.com/").origin == "http://example.com"
    assert parse_url("http://[2001:db8::1]/").origin == "http://[2001:db8::1]"


def test_relative_references_resolve_against_the_base() -> None:
    base = parse_url("https://example.com/guides/paris/index.html")
    assert join_url(base, "../rome/").url == "https://example.com/guides/rome/"
    assert join_url(base, "/about").url == "https://example.com/about"
    assert join_url(base, "//cdn.example.org/x").url == "https://cdn.example.org/x"
    assert join_url(base, "?page=2").url == "https://example.com/guides/paris/index.html?page=2"
    with pytest.raises(ScrapeFailure):
        join_url(base, "javascript:void(0)")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "javascript:alert(1)"])
def test_the_scraper_refuses_bad_schemes_without_any_request(url: str) -> None:
    transport = web()
    scraper, _, resolver = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=url), ScraperState())
    assert not result.ok
    assert result.error is not None and result.error.code is ErrorCode.INVALID_URL
    assert transport.requests == [] and resolver.lookups == []
