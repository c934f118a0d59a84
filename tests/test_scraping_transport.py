"""The real transport over loopback sockets: pinned to vetted addresses, one total deadline, bounded heads.

No test reaches the internet: the "public" address the resolver hands out is connected, by the test's
connector, to a loopback server standing in for the public site.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_agents.http import HttpTimeout
from durable_agents.scraping import ErrorCode, PinnedTransport, Scraper, ScrapeRequest, ScraperState
from durable_agents.scraping.addresses import IPAddress
from durable_agents.scraping.transport import MAX_HEADER_BYTES, open_tcp, request_bytes
from durable_agents.scraping.urls import parse_url
from tests.support.scraping import PUBLIC_IP, Connection, LoopbackServer

ROBOTS = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n\r\nUser-agent: *\nDisallow:\n"
)
PAGE = b"<title>Lisbon</title><p>Trams and tiles.</p>"
TIMEOUT = 1.0
MARGIN = 0.6
"""How far past its deadline a scrape may end here (thread wake-ups on a shared, loaded machine)."""


def ok(body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def timed_scrape(scraper: Scraper, url: str, **limits: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = scraper.scrape(ScrapeRequest(url=url, **limits), ScraperState())
    return result, time.monotonic() - started


def local_scraper(**options: Any) -> Scraper:
    return Scraper(PinnedTransport(**options), allow_private_networks=True, min_interval=0)


# --- DNS rebinding ----------------------------------------------------------------------------------------


class RebindingDns:
    """``socket.getaddrinfo`` for ``rebind.example``: the public address first, 127.0.0.1 after."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.answers: list[str] = []

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.example":
            return self.real(host, port, *args, **kwargs)
        address = PUBLIC_IP if not self.answers else "127.0.0.1"
        self.answers.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]


@pytest.fixture
def rebinding(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[RebindingDns, LoopbackServer, LoopbackServer]]:
    """The rebinding resolver as the system's, the local service it rebinds to, and the public site."""
    dns = RebindingDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns)

    def public_site(connection: Connection) -> None:
        if connection.path == "/robots.txt":
            connection.send(ROBOTS)
        elif connection.path == "/again":
            connection.send(b"HTTP/1.1 302 Found\r\nLocation: /page\r\nContent-Length: 0\r\n\r\n")
        else:
            connection.send(ok(PAGE))

    with (
        LoopbackServer(lambda c: c.send(ok(b"runtime API secrets"))) as local,
        LoopbackServer(public_site) as site,
    ):
        yield dns, local, site


def rebinding_scraper(site: LoopbackServer) -> tuple[Scraper, list[tuple[str, int]]]:
    """A scraper whose connector reaches the "public" address at ``site``; every connection is logged."""
    connected: list[tuple[str, int]] = []

    def connector(address: IPAddress, port: int, timeout: float) -> socket.socket:
        connected.append((str(address), port))
        if str(address) == PUBLIC_IP:
            return open_tcp(ipaddress.ip_address("127.0.0.1"), site.port, timeout)
        return open_tcp(address, port, timeout)

    return Scraper(PinnedTransport(connector=connector), min_interval=0), connected


def test_a_name_that_rebinds_to_loopback_is_only_ever_reached_at_its_vetted_address(
    rebinding: tuple[RebindingDns, LoopbackServer, LoopbackServer],
) -> None:
    dns, local, site = rebinding
    scraper, connected = rebinding_scraper(site)
    url = f"http://rebind.example:{local.port}/page"  # the local service's port: a second lookup would hit it

    result = scraper.scrape(ScrapeRequest(url=url), ScraperState())

    assert local.accepted == 0
    assert result.ok and result.page is not None and result.page.title == "Lisbon", result.error
    assert dns.answers == [PUBLIC_IP]  # resolved once; robots.txt and the page both went to that address
    assert connected == [(PUBLIC_IP, local.port)] * 2
    assert [head.split(b"\r\n")[0] for head in site.heads] == [
        b"GET /robots.txt HTTP/1.1",
        b"GET /page HTTP/1.1",
    ]
    assert all(f"Host: rebind.example:{local.port}".encode() in head for head in site.heads)


def test_a_redirect_hop_is_vetted_again_and_a_rebound_answer_refused(
    rebinding: tuple[RebindingDns, LoopbackServer, LoopbackServer],
) -> None:
    dns, local, site = rebinding
    scraper, connected = rebinding_scraper(site)

    result = scraper.scrape(ScrapeRequest(url=f"http://rebind.example:{local.port}/again"), ScraperState())

    assert result.error is not None and result.error.code is ErrorCode.BLOCKED_ADDRESS, result
    assert "127.0.0.1" in result.error.message
    assert dns.answers == [PUBLIC_IP, "127.0.0.1"]
    assert local.accepted == 0 and all(address == PUBLIC_IP for address, _ in connected)


def test_the_vetted_addresses_are_tried_in_order_until_one_answers() -> None:
    tried: list[str] = []

    def connector(address: IPAddress, port: int, timeout: float) -> socket.socket:
        tried.append(str(address))
        return open_tcp(address, port, timeout)

    with LoopbackServer(lambda c: c.send(ok(PAGE))) as server:  # listening on 127.0.0.1 only
        addresses = [ipaddress.ip_address("127.0.0.2"), ipaddress.ip_address("127.0.0.1")]
        answer = PinnedTransport(connector=connector)(
            parse_url(f"http://multi.example:{server.port}/"),
            addresses,
            headers={},
            timeout=TIMEOUT,
            max_bytes=1000,
        )
    assert answer.status == 200 and answer.body == PAGE
    assert tried == ["127.0.0.2", "127.0.0.1"]


# --- one total deadline -----------------------------------------------------------------------------------


def trickling_site(route: dict[str, Any]) -> LoopbackServer:
    """robots.txt at once; other paths answered by ``route[path](connection)``."""

    def handle(connection: Connection) -> None:
        if connection.path == "/robots.txt":
            connection.send(ROBOTS)
        else:
            route[connection.path](connection)

    return LoopbackServer(handle)


def trickle_body(connection: Connection) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n")
    connection.trickle(b"x" * 10, every=0.4)  # 4 s in all, each byte well inside a 1 s socket timeout


def trickle_head(connection: Connection) -> None:
    connection.trickle(ok(PAGE), every=0.05)  # about 5 s to get through the status line and headers


def slow_redirect(connection: Connection) -> None:
    hop = int(connection.path.removeprefix("/hop"))
    if not connection.server.stopped.wait(0.3):
        connection.send(
            f"HTTP/1.1 302 Found\r\nLocation: /hop{hop + 1}\r\nContent-Length: 0\r\n\r\n".encode()
        )


@pytest.mark.parametrize(
    ("path", "route"),
    [("/body", trickle_body), ("/head", trickle_head), ("/hop0", slow_redirect)],
    ids=["trickled-body", "trickled-head", "slow-redirect-chain"],
)
def test_a_trickling_or_dawdling_server_cannot_stretch_the_deadline(path: str, route: Any) -> None:
    with trickling_site({path: route, **{f"/hop{i}": slow_redirect for i in range(1, 6)}}) as site:
        result, elapsed = timed_scrape(
            local_scraper(), f"http://127.0.0.1:{site.port}{path}", timeout=TIMEOUT
        )
    assert result.error is not None and result.error.code is ErrorCode.TIMEOUT, result
    assert TIMEOUT - 0.05 <= elapsed < TIMEOUT + MARGIN


def test_a_tls_handshake_trickle_is_bounded_too() -> None:
    def stall_handshake(connection: Connection) -> None:  # a TLS record header, then its body dribbled
        connection.send(b"\x16\x03\x03\x40\x00")
        connection.trickle(b"\x02" * 100, every=0.1)

    with LoopbackServer(stall_handshake, read_head=False) as server:
        transport = PinnedTransport()
        started = time.monotonic()
        with pytest.raises(HttpTimeout):
            transport(
                parse_url(f"https://127.0.0.1:{server.port}/"),
                [ipaddress.ip_address("127.0.0.1")],
                headers={},
                timeout=TIMEOUT,
                max_bytes=1000,
            )
        elapsed = time.monotonic() - started
    assert TIMEOUT - 0.05 <= elapsed < TIMEOUT + MARGIN


def test_a_prompt_server_is_unaffected() -> None:
    with trickling_site({"/page": lambda c: c.send(ok(PAGE))}) as site:
        result, elapsed = timed_scrape(local_scraper(), f"http://127.0.0.1:{site.port}/page", timeout=TIMEOUT)
    assert result.ok and result.page is not None and result.page.text == "Trams and tiles."
    assert elapsed < TIMEOUT


# --- bounded heads and bodies -----------------------------------------------------------------------------


def huge_head(connection: Connection) -> None:
    padding = b"X-Pad: " + b"a" * 1000 + b"\r\n"
    connection.send(b"HTTP/1.1 200 OK\r\n" + padding * (MAX_HEADER_BYTES // len(padding) + 2))
    connection.server.stopped.wait(5)  # and never end the head


def endless_continues(connection: Connection) -> None:
    while connection.send(b"HTTP/1.1 100 Continue\r\n\r\n" * 100):
        pass


def promised_gigabyte(connection: Connection) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000000\r\n\r\n")
    connection.server.stopped.wait(5)  # the body never comes: only the promise may be read


def chunked_flood(connection: Connection) -> None:
    connection.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    while connection.send(b"400\r\n" + b"y" * 1024 + b"\r\n"):
        pass


@pytest.mark.parametrize(
    ("route", "code", "words"),
    [
        (huge_head, ErrorCode.FETCH_FAILED, "headers longer than"),
        (endless_continues, ErrorCode.FETCH_FAILED, "headers longer than"),
        (promised_gigabyte, ErrorCode.TOO_LARGE, "larger than"),
        (chunked_flood, ErrorCode.TOO_LARGE, "larger than"),
    ],
    ids=["huge-head", "endless-100-continue", "content-length-over-limit", "chunked-over-limit"],
)
def test_heads_and_bodies_are_bounded_without_waiting_for_the_deadline(
    route: Any, code: ErrorCode, words: str
) -> None:
    with trickling_site({"/x": route}) as site:
        result, elapsed = timed_scrape(
            local_scraper(), f"http://127.0.0.1:{site.port}/x", timeout=5.0, max_bytes=100_000
        )
    assert result.error is not None and result.error.code is code, result
    assert words in result.error.message
    assert elapsed < 2.5  # refused as soon as the limit is passed, not at the 5 s deadline


def test_the_request_is_one_well_formed_get_and_refuses_to_be_split() -> None:
    url = parse_url("http://[2001:db8::1]:8080/caf%C3%A9?q=1")
    assert request_bytes(url, {"User-Agent": "ua", "Accept": "text/html"}) == (
        b"GET /caf%C3%A9?q=1 HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\nUser-Agent: ua\r\n"
        b"Accept: text/html\r\nConnection: close\r\n\r\n"
    )
    with pytest.raises(ValueError):
        request_bytes(url, {"User-Agent": "ua\r\nX-Injected: 1"})
    with pytest.raises(ValueError):
        request_bytes(url, {"Bad Name": "x"})


# --- TLS: the real host name for SNI and verification ---------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``travel.example`` (and its key), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "travel.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("travel.example")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_https_sends_the_real_host_name_for_sni_host_and_verification(certificate: tuple[Path, Path]) -> None:
    cert_file, key_file = certificate
    server_names: list[str | None] = []

    def note_server_name(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        server_names.append(name)

    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    server_tls.sni_callback = note_server_name
    client_tls = ssl.create_default_context(cafile=str(cert_file))

    def site(connection: Connection) -> None:
        connection.send(ROBOTS if connection.path == "/robots.txt" else ok(PAGE))

    with LoopbackServer(site, tls=server_tls) as server:
        loopback = {"travel.example": ["127.0.0.1"], "impostor.example": ["127.0.0.1"]}
        scraper = Scraper(
            PinnedTransport(tls_context=client_tls),
            resolver=lambda host, port: loopback[host],
            allow_private_networks=True,
            min_interval=0,
        )
        good = scraper.scrape(ScrapeRequest(url=f"https://travel.example:{server.port}/"), ScraperState())
        wrong = scraper.scrape(ScrapeRequest(url=f"https://impostor.example:{server.port}/"), ScraperState())

    assert good.ok and good.page is not None and good.page.title == "Lisbon", good.error
    assert server_names[:2] == ["travel.example", "travel.example"]  # robots.txt, then the page
    assert all(f"Host: travel.example:{server.port}".encode() in head for head in server.heads[:2])
    # the certificate names travel.example: the same address under another name is refused
    assert wrong.error is not None and "robots.txt unavailable" in wrong.error.message
    assert "certificate" in wrong.error.message.lower() or "hostname" in wrong.error.message.lower()
