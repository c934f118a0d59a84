"""Address checks: a scraped host must resolve only to public addresses (server-side request forgery guard).

:class:`AddressGuard` resolves a URL's host (through an injectable :data:`Resolver`; the default is
``socket.getaddrinfo``) and refuses it when *any* address is loopback, private, link-local, multicast,
reserved, unspecified or otherwise not globally routable, including IPv4 addresses embedded in IPv6 ones
(IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible, NAT64 ``64:ff9b::/96``, 6to4, Teredo).
``allow_private_networks=True`` (tests against a local server only) lifts those checks, except for
cloud metadata endpoints, which stay refused whatever the setting: they hand out credentials.

The check runs before every request the scraper makes (robots.txt, the page, each redirect hop). The
transport resolves the name again when it connects, so a DNS answer that changes between the two
(DNS rebinding) is not caught here; see the package documentation.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

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


class AddressGuard:
    """Resolves hosts and refuses non-public addresses (see the module documentation)."""

    def __init__(self, resolver: Resolver | None = None, *, allow_private_networks: bool = False) -> None:
        self._resolve = resolver or system_resolver
        self._allow_private_networks = allow_private_networks

    def check(self, url: ValidUrl) -> list[IPAddress]:
        """The host's addresses, all allowed; raise ``blocked_address`` or ``fetch_failed`` otherwise."""
        addresses = self._addresses(url)
        for address in addresses:
            reason = blocked_reason(address, allow_private_networks=self._allow_private_networks)
            if reason:
                raise ScrapeFailure(
                    ErrorCode.BLOCKED_ADDRESS, f"{url.host} is {_shown(address)}, {reason}: not fetched"
                )
        return addresses

    def _addresses(self, url: ValidUrl) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(url.host)]
        except ValueError:
            pass
        try:
            resolved = self._resolve(url.host, url.port)
        except (OSError, UnicodeError) as error:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"could not resolve {url.host}: {error}") from None
        try:
            addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in resolved]
        except ValueError as error:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"could not resolve {url.host}: {error}") from None
        if not addresses:
            raise ScrapeFailure(ErrorCode.FETCH_FAILED, f"could not resolve {url.host}: no addresses")
        return addresses


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
