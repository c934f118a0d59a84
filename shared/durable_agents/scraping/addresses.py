"""Address checks: a scraped host must resolve only to public addresses (server-side request forgery guard).

:class:`AddressGuard` resolves a URL's host (through an injectable :data:`Resolver`; the default is
``socket.getaddrinfo``) and refuses it when *any* address is loopback, private, link-local, multicast,
reserved, unspecified or otherwise not globally routable, including IPv4 addresses embedded in IPv6 ones
(IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible, NAT64 ``64:ff9b::/96``, 6to4, Teredo).
``allow_private_networks=True`` (tests against a local server only) lifts those checks, except for
cloud metadata endpoints, which stay refused whatever the setting: they hand out credentials.

:meth:`AddressGuard.vet` runs before every request the scraper makes to a new host (the page's host,
each redirect hop), within what is left of the scrape's deadline (a slow name server cannot hold a
scrape either), and returns a :class:`Vetted` URL: the URL with the addresses just approved. The
transport connects to those addresses and never resolves the name again, so a DNS answer that
changes after the check (DNS rebinding: public first, then ``127.0.0.1``) cannot redirect the
connection; robots.txt of the same origin is fetched from the same addresses.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import ErrorCode, ScrapeFailure
from .urls import ValidUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> IP address strings``; raises ``OSError`` when the name does not resolve."""

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS/GCP/Azure/OpenStack instance metadata
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, through ``socket.getaddrinfo``."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def blocked_reason(address: IPAddress, *, allow_private_networks: bool = False) -> str | None:
    """Why ``address`` may not be fetched, or ``None`` when it may."""
    candidates = [*_embedded_ipv4(address), address]
    if any(candidate in METADATA_ADDRESSES for candidate in candidates):
        return "a cloud metadata endpoint"
    if allow_private_networks:
        return None
    for candidate in candidates:
        reason = _non_public_reason(candidate)
        if reason:
            return reason if candidate is address else f"{reason} (embedded IPv4 {candidate})"
    return None


@dataclass(frozen=True)
class Vetted:
    """A URL and the addresses its host resolved to when the guard approved them: connect only to these."""

    url: ValidUrl
    addresses: tuple[IPAddress, ...]

    def on_same_host(self, url: ValidUrl) -> Vetted:
        """``url`` (same host and port, e.g. the origin's robots.txt) with these same addresses."""
        if (url.host, url.port) != (self.url.host, self.url.port):
            raise ValueError(f"{url} is not on {self.url.host}:{self.url.port}")
        return Vetted(url=url, addresses=self.addresses)


class AddressGuard:
    """Resolves hosts and refuses non-public addresses (see the module documentation)."""

    def __init__(self, resolver: Resolver | None = None, *, allow_private_networks: bool = False) -> None:
        self._resolve = resolver or system_resolver
        self._allow_private_networks = allow_private_networks

    def vet(self, url: ValidUrl, *, within: float) -> Vetted:
        """``url`` with its host's addresses, all allowed, resolved within ``within`` seconds.

        Raises ``blocked_address``, ``fetch_failed`` (no such name), or ``timeout``.
        """
        addresses = self._addresses(url, within)
        for address in addresses:
            reason = blocked_reason(address, allow_private_networks=self._allow_private_networks)
            if reason:
                raise ScrapeFailure(
                    ErrorCode.BLOCKED_ADDRESS, f"{url.host} is {_shown(address)}, {reason}: not fetched"
                )
        return Vetted(url=url, addresses=tuple(dict.fromkeys(addresses)))

    def _addresses(self, url: ValidUrl, within: float) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(url.host)]
        except ValueError:
            pass
        try:
            resolved = self._lookup(url.host, url.port, within)
        except (OSError, UnicodeError) as error:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"could not resolve {url.host}: {error}") from None
        try:
            addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in resolved]
        except ValueError as error:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"could not resolve {url.host}: {error}") from None
        if not addresses:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"could not resolve {url.host}: no addresses")
        return addresses

    def _lookup(self, host: str, port: int, within: float) -> Sequence[str]:
        """The resolver's answer, given up on after ``within`` seconds.

        ``getaddrinfo`` takes no timeout, and a name server (the attacker's own, for the attacker's
        name) may take its time: the lookup runs in a daemon thread that is abandoned when it is late.
        """
        if within <= 0:
            raise ScrapeFailure(ErrorCode.TIMEOUT, f"no time left to resolve {host}")
        outcome: list[Sequence[str] | Exception] = []
        done = threading.Event()

        def resolve() -> None:
            try:
                outcome.append(self._resolve(host, port))
            except Exception as error:  # noqa: BLE001 - raised again in the caller's thread, below
                outcome.append(error)
            done.set()

        threading.Thread(target=resolve, name=f"resolve {host}", daemon=True).start()
        if not done.wait(within):
            raise ScrapeFailure(ErrorCode.TIMEOUT, f"{host} did not resolve within {within:.3g}s")
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return outcome[0]


def _shown(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _non_public_reason(address: IPAddress) -> str | None:
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:
        return "not a globally routable address"
    return None


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    embedded: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded
