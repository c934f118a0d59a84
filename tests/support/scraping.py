"""Fakes shared by the scraping tests: a clock, a resolver, and a recorded web of pages (no tests here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from durable_agents.http import HttpResponse, RecordedTransport
from durable_agents.scraping import Scraper

PUBLIC_IP = "93.184.216.34"
START = 1_700_000_000.0


class FakeClock:
    """Time stands still until advanced; ``sleep`` advances it and is recorded."""

    def __init__(self, start: float = START) -> None:
        self.time = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds

    def advance(self, seconds: float) -> None:
        self.time += seconds


class FakeResolver:
    """Resolves names from a table (a value may be an exception to raise); others to a public address."""

    def __init__(self, table: Mapping[str, Iterable[str] | Exception] | None = None) -> None:
        self.table = dict(table or {})
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answer = self.table.get(host, [PUBLIC_IP])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


def response(
    url: str,
    body: str | bytes = b"",
    *,
    status: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    payload = body.encode() if isinstance(body, str) else body
    return HttpResponse(status=status, url=url, body=payload, headers=all_headers)


def redirect(url: str, location: str, status: int = 302) -> HttpResponse:
    return response(url, status=status, content_type=None, headers={"Location": location})


def web(
    pages: Mapping[str, HttpResponse | Exception | str] | None = None,
    *,
    robots: Mapping[str, HttpResponse | Exception | str] | None = None,
) -> RecordedTransport:
    """A recorded web: ``pages`` by URL (a string is an HTML body); each page's origin gets a robots.txt
    allowing everything unless ``robots`` (by origin) says otherwise."""
    transport = RecordedTransport()
    origins: set[str] = set()
    for url, answer in (pages or {}).items():
        transport.add("GET", url, response(url, answer) if isinstance(answer, str) else answer)
        origins.add(url.split("/", 3)[0] + "//" + url.split("/", 3)[2])
    robots = dict(robots or {})
    for origin in origins | set(robots):
        answer = robots.get(origin, "User-agent: *\nDisallow:\n")
        robots_url = f"{origin}/robots.txt"
        if isinstance(answer, str):
            answer = response(robots_url, answer, content_type="text/plain")
        transport.add("GET", robots_url, answer)
    return transport


def make_scraper(
    transport: RecordedTransport,
    *,
    clock: FakeClock | None = None,
    resolver: FakeResolver | None = None,
    **options: Any,
) -> tuple[Scraper, FakeClock, FakeResolver]:
    clock = clock or FakeClock()
    resolver = resolver or FakeResolver()
    return Scraper(transport, resolver=resolver, clock=clock, **options), clock, resolver


def requested(transport: RecordedTransport) -> list[str]:
    """The URLs the transport was asked for, in order."""
    return [url for _, url, _ in transport.requests]
