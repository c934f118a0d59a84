"""Real HTTP: a local ThreadingHTTPServer scraped through the PinnedTransport (loopback only, no internet)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from durable_agents.config import settings
from durable_agents.scraping import ErrorCode, PinnedTransport, Scraper, ScrapeRequest, ScraperState

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Local Guide</title>
<script>var leak = "SCRIPT";</script></head>
<body><nav><a href="/nav">NAV</a></nav><main><h1>Évora</h1><p>A walled city in the Alentejo.</p>
<p>See the <a href="/chapel.html">Chapel of Bones</a>.</p></main><footer>FOOTER</footer></body></html>"""

ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private\n"),
    "/page.html": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.encode()),
    "/old": (301, {"Location": "/page.html"}, b""),
    "/private/secret": (200, {"Content-Type": "text/plain"}, b"secret"),
    "/big": (200, {"Content-Type": "text/plain"}, b"x" * 50_000),
    "/notes.txt": (
        200,
        {"Content-Type": "text/plain; charset=iso-8859-1"},
        "Caf\u00e9   au lait\n".encode("latin-1"),
    ),
    "/map.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n\x00\x00"),
    "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
}


class Handler(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/slow":
            time.sleep(1.0)
        status, headers, body = ROUTES.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("RecordingHandler", (Handler,), {"hits": hits})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def scraper(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scraper]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # never used: a proxy would resolve names itself
    monkeypatch.setenv("STATE_TABLE", "unused")
    monkeypatch.setenv("SCRAPER_ALLOW_PRIVATE_NETWORKS", "true")
    settings.cache_clear()
    yield Scraper.from_settings(min_interval=0)
    settings.cache_clear()


def test_pages_from_a_real_server(server: tuple[str, list[str]], scraper: Scraper) -> None:
    base, hits = server
    state = ScraperState()

    result = scraper.scrape(ScrapeRequest(url=f"{base}/old"), state)
    assert result.ok and result.page is not None, result.error
    page = result.page
    assert (page.status, page.final_url, page.content_type) == (200, f"{base}/page.html", "text/html")
    assert page.title == "Local Guide"
    assert page.text == "# Évora\n\nA walled city in the Alentejo.\n\nSee the Chapel of Bones."
    assert page.links == [f"{base}/chapel.html"]
    assert page.untrusted is True

    again = scraper.scrape(ScrapeRequest(url=f"{base}/page.html"), state)
    assert again.ok and not again.from_cache  # a different URL than the one requested first
    cached = scraper.scrape(ScrapeRequest(url=f"{base}/old"), state)
    assert cached.ok and cached.from_cache

    disallowed = scraper.scrape(ScrapeRequest(url=f"{base}/private/secret"), state)
    assert disallowed.error is not None and disallowed.error.code is ErrorCode.ROBOTS_DISALLOWED

    text = scraper.scrape(ScrapeRequest(url=f"{base}/notes.txt"), state)
    assert text.ok and text.page is not None and text.page.text == "Café au lait"

    missing = scraper.scrape(ScrapeRequest(url=f"{base}/nowhere"), state)
    assert missing.error is not None and (missing.error.code, missing.error.status) == (
        ErrorCode.HTTP_ERROR,
        404,
    )

    big = scraper.scrape(ScrapeRequest(url=f"{base}/big", max_bytes=10_000), state)
    assert big.error is not None and big.error.code is ErrorCode.TOO_LARGE

    image = scraper.scrape(ScrapeRequest(url=f"{base}/map.png"), state)
    assert image.error is not None and image.error.code is ErrorCode.UNSUPPORTED_CONTENT

    metadata = scraper.scrape(ScrapeRequest(url=f"{base}/to-metadata"), state)
    assert metadata.error is not None and metadata.error.code is ErrorCode.BLOCKED_ADDRESS

    assert hits == [
        "/robots.txt",
        "/old",
        "/page.html",
        "/page.html",
        "/notes.txt",
        "/nowhere",
        "/big",
        "/map.png",
        "/to-metadata",
    ]
    assert ScraperState.model_validate(state.model_dump(mode="json")) == state


def test_a_slow_server_times_out(server: tuple[str, list[str]], scraper: Scraper) -> None:
    base, _ = server
    started = time.monotonic()
    result = scraper.scrape(ScrapeRequest(url=f"{base}/slow", timeout=0.3), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.TIMEOUT
    assert time.monotonic() - started < 0.9


def test_loopback_is_refused_by_default(server: tuple[str, list[str]]) -> None:
    base, hits = server
    result = Scraper(PinnedTransport()).scrape(ScrapeRequest(url=f"{base}/page.html"), ScraperState())
    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS
    assert hits == []
