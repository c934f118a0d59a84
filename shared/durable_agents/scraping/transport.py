"""The scraper's wire: one GET to addresses already vetted, over within one deadline.

:class:`ScrapeTransport` is what the :class:`~.fetch.Fetcher` calls; :class:`PinnedTransport` is the
real one (standard library only: ``socket``, ``ssl``, ``http.client``'s response parser), and
:class:`RecordedExchanges` answers from a :class:`~durable_agents.http.RecordedTransport` (tests and
offline stacks: recordings are keyed by URL and never touch the network, so there is nothing to pin).

Where it connects: to the addresses the address guard has just approved, in order until one accepts.
It never resolves a name, so a DNS answer that changes after the check (DNS rebinding) cannot send the
connection anywhere else. The URL's host still goes into the ``Host`` header and, for https, into SNI
and certificate verification. Proxies from the environment are not used.

How long: ``timeout`` bounds the whole exchange (connect, TLS handshake, request, status line and
headers, body), not each socket operation. Before every read and write the socket's timeout is set
to what is left, so a server trickling a byte at a time cannot stretch it; CPython bounds a TLS
handshake and a ``sendall`` as a whole by the timeout set before them.

How much: the status line and headers (interim ``100 Continue`` responses included) may take
:data:`MAX_HEADER_BYTES`; the body ``max_bytes``, refused up front when ``Content-Length`` says more.
Nothing is decompressed (the request asks for ``identity``; extraction refuses compressed bodies),
so there is no decompression bomb to defuse. Redirects are not followed: the fetcher does, vetting
each hop first.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ..http import HttpError, HttpResponse, HttpTimeout, RecordedTransport, ResponseTooLarge
from .addresses import IPAddress
from .urls import ValidUrl

MAX_HEADER_BYTES = 64 * 1024

Connector = Callable[[IPAddress, int, float], socket.socket]
"""``(address, port, timeout) -> connected TCP socket``; raises ``OSError`` (``TimeoutError``)."""

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_FIELD_VALUE = re.compile(r"^[\t\x20-\x7e]*$")
_REQUEST_TARGET = re.compile(r"^/[\x21-\x7e]*$")


class HeadersTooLarge(HttpError):
    """The status line and headers went on past :data:`MAX_HEADER_BYTES`."""


class ScrapeTransport(Protocol):
    """One GET of ``url`` to one of ``addresses`` (already vetted), within ``timeout`` seconds in all.

    Raises :class:`~durable_agents.http.HttpTimeout` past the timeout,
    :class:`~durable_agents.http.ResponseTooLarge` for a body over ``max_bytes``, and another
    :class:`~durable_agents.http.HttpError` when the exchange fails. A redirect is returned as it is.
    """

    def __call__(
        self,
        url: ValidUrl,
        addresses: Sequence[IPAddress],
        *,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> HttpResponse: ...


class RecordedExchanges:
    """A :class:`ScrapeTransport` over recorded exchanges: each GET is looked up by its URL."""

    def __init__(self, recorded: RecordedTransport) -> None:
        self.recorded = recorded

    def __call__(
        self,
        url: ValidUrl,
        addresses: Sequence[IPAddress],
        *,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> HttpResponse:
        return self.recorded("GET", url.url, headers=headers, timeout=timeout, max_bytes=max_bytes)


def scrape_transport(transport: ScrapeTransport | RecordedTransport) -> ScrapeTransport:
    """``transport`` as a :class:`ScrapeTransport` (a :class:`RecordedTransport` gets wrapped)."""
    return RecordedExchanges(transport) if isinstance(transport, RecordedTransport) else transport


def open_tcp(address: IPAddress, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``address`` itself (no name lookup), made within ``timeout`` seconds."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


class PinnedTransport:
    """The real network, connecting only to vetted addresses (see the module documentation).

    ``connector`` opens the TCP connection (tests observe or redirect it); ``tls_context`` verifies
    https servers (default: the system's trust store, created on first use).
    """

    def __init__(self, *, connector: Connector = open_tcp, tls_context: ssl.SSLContext | None = None) -> None:
        self._connect = connector
        self._tls_context = tls_context
        self._lock = threading.Lock()

    def __call__(
        self,
        url: ValidUrl,
        addresses: Sequence[IPAddress],
        *,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> HttpResponse:
        deadline = time.monotonic() + timeout
        request = request_bytes(url, headers)
        try:
            sock = self._open(url, addresses, deadline)
            try:
                return _exchange(sock, url, request, deadline=deadline, max_bytes=max_bytes)
            finally:
                sock.close()
        except TimeoutError as error:
            raise HttpTimeout(f"GET {url} not done within {timeout:.3g}s") from error
        except (OSError, http.client.HTTPException) as error:  # ssl.SSLError is an OSError
            raise HttpError(f"GET {url} failed: {error or type(error).__name__}") from error

    def _open(self, url: ValidUrl, addresses: Sequence[IPAddress], deadline: float) -> socket.socket:
        refused: OSError = OSError("no address to connect to")
        for address in addresses:
            try:
                sock = self._connect(address, url.port, _left(deadline))
                break
            except TimeoutError:  # the whole budget went on this address: none left to try another
                raise
            except OSError as error:
                refused = error
        else:
            raise refused
        if url.scheme != "https":
            return sock
        try:
            sock.settimeout(_left(deadline))
            return self._tls().wrap_socket(sock, server_hostname=url.host)
        except BaseException:
            sock.close()
            raise

    def _tls(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls_context is None:
                self._tls_context = ssl.create_default_context()
            return self._tls_context


def request_bytes(url: ValidUrl, headers: Mapping[str, str]) -> bytes:
    """The GET request for ``url``: ``Host`` first, then ``headers``, then ``Connection: close``.

    Raises ``ValueError`` for anything that could split the request (control characters, bad names).
    """
    fields = {"Host": url.authority, **headers, "Connection": "close"}
    if not _REQUEST_TARGET.match(url.target):
        raise ValueError(f"unsafe request target {url.target!r}")
    for name, value in fields.items():
        if not _TOKEN.match(name) or not _FIELD_VALUE.match(value):
            raise ValueError(f"unsafe header {name!r}")
    lines = [f"GET {url.target} HTTP/1.1", *(f"{name}: {value}" for name, value in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _exchange(
    sock: socket.socket, url: ValidUrl, request: bytes, *, deadline: float, max_bytes: int
) -> HttpResponse:
    stream = _DeadlineStream(sock, deadline, header_limit=MAX_HEADER_BYTES)
    stream.send(request)
    # HTTPResponse only calls ``makefile("rb")`` on what it is given: every read goes through the stream.
    response = http.client.HTTPResponse(stream, method="GET")  # type: ignore[arg-type]
    with response:
        response.begin()
        stream.header_limit = None
        if response.length is not None and response.length > max_bytes:
            raise ResponseTooLarge(f"GET {url}: Content-Length {response.length} is over {max_bytes} bytes")
        body = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise ResponseTooLarge(f"GET {url}: body larger than {max_bytes} bytes")
        return HttpResponse(
            status=response.status, url=url.url, body=body, headers=dict(response.getheaders())
        )


class _DeadlineStream(io.RawIOBase):
    """A socket's reading side whose every ``recv`` gets only the time left before ``deadline``.

    While ``header_limit`` is set, reading stops there (the response's head may not be longer).
    """

    def __init__(self, sock: socket.socket, deadline: float, *, header_limit: int | None) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self.header_limit = header_limit
        self._received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        if self.header_limit is not None:
            room = self.header_limit - self._received
            if room <= 0:
                raise HeadersTooLarge(f"status line and headers longer than {self.header_limit} bytes")
            size = min(size, room)
        self._sock.settimeout(_left(self._deadline))
        received = self._sock.recv_into(buffer, size)
        self._received += received
        return received

    def send(self, data: bytes) -> None:
        self._sock.settimeout(_left(self._deadline))
        self._sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        if mode != "rb":
            raise ValueError(f"only 'rb' is supported, not {mode!r}")
        return io.BufferedReader(self)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline has passed")
    return left
