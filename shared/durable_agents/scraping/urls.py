"""URL validation and normalisation: only absolute http(s) URLs, no credentials, bounded length.

:func:`parse_url` turns untrusted input (a user's link, a page's ``href``, a ``Location`` header) into a
:class:`ValidUrl`, or raises :class:`ScrapeFailure` with ``invalid_url``. The normal form lower-cases the
scheme and host, IDNA-encodes international host names, drops the default port and the fragment, and
percent-encodes the path and query, so equal pages get equal cache keys.

Hosts written as numbers must be a canonical dotted quad: ``http://2130706433/``, ``http://0x7f.1/`` and
``http://127.1/`` are refused here, because resolvers read them as 127.0.0.1 while they look like names.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .errors import ErrorCode, ScrapeFailure

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:[0-9]+|0x[0-9a-f]*)$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


@dataclass(frozen=True)
class ValidUrl:
    """An absolute http(s) URL in normal form, with the parts the scraper keys its state on."""

    url: str
    scheme: str
    host: str
    """Lower-case ASCII host name, or an IP address (IPv6 without brackets)."""
    port: int
    """The effective port (the scheme's default when the URL has none)."""
    target: str
    """Path and query, as sent in the request line (``/`` at least)."""

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``: the scope of a robots.txt file."""
        return _origin(self.scheme, self.host, self.port)

    @property
    def authority(self) -> str:
        """``host[:port]`` as the ``Host`` header carries it (IPv6 in brackets, default port left out)."""
        return self.origin.split("://", 1)[1]

    def __str__(self) -> str:
        return self.url


def parse_url(raw: str) -> ValidUrl:
    """Validate and normalise an absolute http(s) URL; raise ``invalid_url`` on anything else."""
    text = raw.strip()
    if not text:
        raise _invalid("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise _invalid(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL.search(text):
        raise _invalid("the URL contains control characters")
    try:
        text.encode("utf-8")
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:  # UnicodeEncodeError (lone surrogates) is a ValueError too
        raise _invalid(f"the URL is malformed ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = f"'{scheme}:'" if scheme else "no scheme"
        raise _invalid(f"only http and https URLs can be scraped, not {shown}")
    if "@" in parts.netloc or parts.username is not None:
        raise _invalid("URLs with credentials (user:password@) are not allowed")
    host = _normalise_host(parts.hostname or "")
    effective_port = port if port is not None else DEFAULT_PORTS[scheme]
    if effective_port == 0:
        raise _invalid("port 0 is not a valid port")
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    netloc = _origin(scheme, host, effective_port).split("://", 1)[1]
    url = urlunsplit((scheme, netloc, path, query, ""))
    if len(url) > MAX_URL_LENGTH:
        raise _invalid(f"the URL is longer than {MAX_URL_LENGTH} characters once normalised")
    target = f"{path}?{query}" if query else path
    return ValidUrl(url=url, scheme=scheme, host=host, port=effective_port, target=target)


def join_url(base: ValidUrl, reference: str) -> ValidUrl:
    """Resolve ``reference`` (an ``href`` or ``Location``) against ``base`` and validate the result."""
    if _CONTROL.search(reference.strip()):
        raise _invalid("the link contains control characters")
    try:
        joined = urljoin(base.url, reference.strip())
    except ValueError as error:
        raise _invalid(f"the link is malformed ({error})") from None
    return parse_url(joined)


def _normalise_host(host: str) -> str:
    if not host:
        raise _invalid("the URL has no host")
    if ":" in host:  # urlsplit only yields a colon for a bracketed IPv6 literal
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise _invalid(f"'{host}' is not a valid IPv6 address") from None
        if address.scope_id:
            raise _invalid("IPv6 zone identifiers are not allowed")
        if address.ipv4_mapped is not None:  # one spelling on every Python (3.13 changed str())
            return f"::ffff:{address.ipv4_mapped}"
        return address.compressed
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _invalid(f"'{host}' is not a valid host name") from None
    ascii_host = ascii_host.removesuffix(".")
    labels = ascii_host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(ascii_host))
        except ValueError:
            raise _invalid(f"'{host}' is not a canonical dotted-quad IPv4 address") from None
    if len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise _invalid(f"'{host}' is not a valid host name")
    return ascii_host


def _origin(scheme: str, host: str, port: int) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    shown_port = "" if DEFAULT_PORTS[scheme] == port else f":{port}"
    return f"{scheme}://{shown_host}{shown_port}"


def _invalid(message: str) -> ScrapeFailure:
    return ScrapeFailure(ErrorCode.INVALID_URL, message)
