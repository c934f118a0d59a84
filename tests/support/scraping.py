"""Fakes shared by the scraping tests: a clock, a resolver, a recorded web of pages, and a raw loopback
server for the real transport (no tests here)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from durable_agents.http import HttpResponse, HttpTimeout, RecordedTransport, Responder
from durable_agents.scraping import Scraper, ValidUrl
from durable_agents.scraping.addresses import IPAddress
from durable_agents.scraping.transport import RecordedExchanges

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


class RecordedWeb(RecordedExchanges):
    """Recorded exchanges (``add`` and ``requests`` as on :class:`RecordedTransport`) that also record,
    per request, the addresses the scraper pinned it to and the time it was given."""

    def __init__(self) -> None:
        super().__init__(RecordedTransport())
        self.requests = self.recorded.requests
        self.pinned: list[tuple[str, tuple[str, ...]]] = []
        self.timeouts: list[float] = []

    def add(self, method: str, url: str, responder: Responder) -> None:
        self.recorded.add(method, url, responder)

    def __call__(
        self,
        url: ValidUrl,
        addresses: Sequence[IPAddress],
        *,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> HttpResponse:
        self.pinned.append((url.url, tuple(str(address) for address in addresses)))
        self.timeouts.append(timeout)
        return super().__call__(url, addresses, headers=headers, timeout=timeout, max_bytes=max_bytes)


class SlowWeb(RecordedWeb):
    """A recorded web where each request takes ``delays[url]`` seconds of the fake clock; one that would
    take longer than its timeout uses the timeout up and raises :class:`HttpTimeout`."""

    def __init__(self, clock: FakeClock, delays: Mapping[str, float]) -> None:
        super().__init__()
        self.clock, self.delays = clock, dict(delays)

    def __call__(
        self,
        url: ValidUrl,
        addresses: Sequence[IPAddress],
        *,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> HttpResponse:
        answer = super().__call__(url, addresses, headers=headers, timeout=timeout, max_bytes=max_bytes)
        delay = self.delays.get(url.url, 0.0)
        if delay >= timeout:
            self.clock.advance(timeout)
            raise HttpTimeout(f"GET {url} timed out")
        self.clock.advance(delay)
        return answer


Handler = Callable[["Connection"], object]


class Connection:
    """One accepted connection of a :class:`LoopbackServer`, with the request head already read."""

    def __init__(self, server: LoopbackServer, sock: socket.socket, head: bytes) -> None:
        self.server, self.sock, self.head = server, sock, head

    @property
    def path(self) -> str:
        parts = self.head.split(b" ", 2)
        return parts[1].decode("latin-1") if len(parts) > 2 else ""

    def header(self, name: str) -> str:
        for line in self.head.decode("latin-1").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return ""

    def send(self, data: bytes) -> bool:
        """Send ``data``; ``False`` once the client has gone or the server is stopping."""
        if self.server.stopped.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def trickle(self, data: bytes, every: float) -> None:
        """Send ``data`` a byte every ``every`` seconds, until done, the client leaves or the server stops."""
        for index in range(len(data)):
            if not self.send(data[index : index + 1]) or self.server.stopped.wait(every):
                return


class LoopbackServer:
    """A raw TCP server on ``127.0.0.1`` (a free port) that counts the connections it accepts.

    Each connection gets its own thread: the request head is read (up to the blank line; with
    ``read_head=False`` just the first bytes the client sends), then ``handle`` answers. With ``tls``
    the connection is wrapped first. Use it as a context manager; leaving stops every handler.
    """

    def __init__(self, handle: Handler, *, tls: ssl.SSLContext | None = None, read_head: bool = True) -> None:
        self._handle, self._tls, self._read_head = handle, tls, read_head
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.stopped = threading.Event()
        self.accepted = 0
        self.heads: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stopped.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            with self._lock:
                self.accepted += 1
            thread = threading.Thread(target=self._answer, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _answer(self, sock: socket.socket) -> None:
        try:
            sock.settimeout(5)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
            head = b"" if self._read_head else sock.recv(65536)
            while self._read_head and b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
            with self._lock:
                self.heads.append(head)
            self._handle(Connection(self, sock, head))
        except OSError:
            pass
        finally:
            sock.close()


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
) -> RecordedWeb:
    """A recorded web: ``pages`` by URL (a string is an HTML body); each page's origin gets a robots.txt
    allowing everything unless ``robots`` (by origin) says otherwise."""
    transport = RecordedWeb()
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
    transport: RecordedWeb,
    *,
    clock: FakeClock | None = None,
    resolver: FakeResolver | None = None,
    **options: Any,
) -> tuple[Scraper, FakeClock, FakeResolver]:
    clock = clock or FakeClock()
    resolver = resolver or FakeResolver()
    return Scraper(transport, resolver=resolver, clock=clock, **options), clock, resolver


def requested(transport: RecordedWeb) -> list[str]:
    """The URLs the transport was asked for, in order."""
    return [url for _, url, _ in transport.requests]
