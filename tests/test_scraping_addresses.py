"""Address checks: every non-public address class is refused before any request, redirects included."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import pytest

from durable_agents.scraping import ErrorCode, ScrapeFailure, Scraper, ScrapeRequest, ScraperState
from durable_agents.scraping.addresses import AddressGuard, blocked_reason, system_resolver
from durable_agents.scraping.urls import parse_url
from tests.support.scraping import FakeClock, FakeResolver, make_scraper, redirect, requested, response, web

BLOCKED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.1",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd12:3456::1",
    "fd00:ec2::254",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",
    "2002:a00:1::1",
    "::7f00:1",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_have_a_reason(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "169.254.170.2", "::ffff:169.254.169.254"]
)
def test_metadata_endpoints_stay_blocked_even_when_private_networks_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_private_networks=True) is not None


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "192.168.1.1", "::1", "fc00::1"])
def test_allow_private_networks_lifts_the_private_checks(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_private_networks=True) is None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.5.4", "192.168.0.10", "169.254.169.254", "::1", "fc00::1",
     "::ffff:127.0.0.1", "0.0.0.0"],
)  # fmt: skip
def test_a_name_resolving_to_a_blocked_address_is_never_contacted(address: str) -> None:
    transport = web({"https://intranet.example/": "<p>secret</p>"})
    scraper, _, _ = make_scraper(transport, resolver=FakeResolver({"intranet.example": [address]}))
    result = scraper.scrape(ScrapeRequest(url="https://intranet.example/"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert f"intranet.example is {address}," in result.error.message
    assert transport.requests == []


@pytest.mark.parametrize("literal", ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "[::1]", "[fc00::1]", "[::ffff:127.0.0.1]", "0.0.0.0"])  # fmt: skip
def test_ip_literals_are_checked_without_a_lookup(literal: str) -> None:
    transport = web()
    scraper, _, resolver = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url=f"http://{literal}/latest/meta-data/"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert transport.requests == [] and resolver.lookups == []


def test_one_blocked_address_among_public_ones_blocks_the_host() -> None:
    transport = web({"https://mixed.example/": "<p>x</p>"})
    resolver = FakeResolver({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    scraper, _, _ = make_scraper(transport, resolver=resolver)
    result = scraper.scrape(ScrapeRequest(url="https://mixed.example/"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert transport.requests == []


def test_a_redirect_to_a_private_address_is_not_followed() -> None:
    transport = web(
        {
            "https://public.example/go": redirect(
                "https://public.example/go", "http://internal.example/admin"
            ),
            "http://internal.example/admin": "<p>admin panel</p>",
        }
    )
    resolver = FakeResolver({"internal.example": ["192.168.0.5"]})
    scraper, _, _ = make_scraper(transport, resolver=resolver)
    result = scraper.scrape(ScrapeRequest(url="https://public.example/go"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert "192.168.0.5" in result.error.message
    assert requested(transport) == ["https://public.example/robots.txt", "https://public.example/go"]


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/",
                                      "http://127.0.0.1/", "http://[::ffff:7f00:1]/"])  # fmt: skip
def test_a_redirect_to_an_ip_literal_is_blocked(location: str) -> None:
    transport = web({"https://public.example/go": redirect("https://public.example/go", location, 301)})
    scraper, _, _ = make_scraper(transport)
    result = scraper.scrape(ScrapeRequest(url="https://public.example/go"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert requested(transport)[-1] == "https://public.example/go"


def test_allow_private_networks_lets_the_scraper_reach_loopback() -> None:
    transport = web({"http://127.0.0.1:8000/": "<title>local</title><p>dev server</p>"})
    scraper, _, _ = make_scraper(transport, allow_private_networks=True)
    result = scraper.scrape(ScrapeRequest(url="http://127.0.0.1:8000/"), ScraperState())
    assert result.ok and result.page is not None and result.page.title == "local"


def test_allow_private_networks_still_refuses_the_metadata_endpoint() -> None:
    transport = web({"http://169.254.169.254/latest/meta-data/": response("x", "ami-id")})
    scraper, _, _ = make_scraper(transport, allow_private_networks=True)
    result = scraper.scrape(ScrapeRequest(url="http://169.254.169.254/latest/meta-data/"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert transport.requests == []


def test_an_unresolvable_host_is_a_fetch_failure() -> None:
    transport = web()
    resolver = FakeResolver(
        {"nowhere.example": socket.gaierror(socket.EAI_NONAME, "Name or service not known")}
    )
    scraper, _, _ = make_scraper(transport, resolver=resolver)
    result = scraper.scrape(ScrapeRequest(url="https://nowhere.example/"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.FETCH_FAILED
    assert "nowhere.example" in result.error.message
    assert transport.requests == []


def test_the_guard_returns_the_checked_addresses_once_each() -> None:
    answer = ["93.184.216.34", "2606:2800:220:1::1", "93.184.216.34"]
    guard = AddressGuard(FakeResolver({"two.example": answer}))
    vetted = guard.vet(parse_url("https://two.example/"), within=1.0)
    assert [str(a) for a in vetted.addresses] == ["93.184.216.34", "2606:2800:220:1::1"]
    robots = vetted.on_same_host(parse_url("https://two.example/robots.txt"))
    assert robots.addresses == vetted.addresses
    with pytest.raises(ValueError):
        vetted.on_same_host(parse_url("https://two.example:8443/robots.txt"))


def test_a_name_server_that_takes_its_time_cannot_hold_the_scrape() -> None:
    release = threading.Event()

    def stalling(host: str, port: int) -> list[str]:
        release.wait(10)  # like a slow authoritative server: getaddrinfo itself has no timeout
        return ["93.184.216.34"]

    transport = web({"https://slow-dns.example/": "<p>x</p>"})
    scraper = Scraper(transport, resolver=stalling, clock=FakeClock())
    started = time.monotonic()
    try:
        result = scraper.scrape(ScrapeRequest(url="https://slow-dns.example/", timeout=0.5), ScraperState())
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert result.error is not None and result.error.code is ErrorCode.TIMEOUT
    assert "slow-dns.example" in result.error.message and transport.requests == []
    assert 0.45 <= elapsed < 1.1


def test_no_lookup_is_started_without_time_left() -> None:
    resolver = FakeResolver()
    with pytest.raises(ScrapeFailure) as caught:
        AddressGuard(resolver).vet(parse_url("https://late.example/"), within=0)
    assert caught.value.code is ErrorCode.TIMEOUT and resolver.lookups == []


def test_the_system_resolver_answers_for_an_ip_literal() -> None:
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
