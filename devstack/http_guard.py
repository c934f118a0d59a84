"""What the local API gateway checks in a request before any handler sees it, and how it logs request text.

Each check raises :class:`GatewayError` (answered as JSON ``{"error": {"code", "message"}}``):

* ``check_target``: the request target is a path (``/...``); 400 ``bad_request_target`` otherwise.
* ``check_method``: the method is an HTTP token; 400 ``bad_method``.
* ``check_host``: exactly one ``Host`` header naming loopback (``127.0.0.1``, ``localhost``, ``[::1]``,
  any port): 400 ``missing_host``/``bad_host``, 403 ``host_not_allowed`` for any other name. A page
  of another site that rebinds its DNS name to 127.0.0.1 still sends its own name as ``Host``, so it
  cannot drive the local API (DNS rebinding).
* ``check_origin``: an ``Origin`` header, when a browser sends one, is a loopback origin; 403
  ``origin_not_allowed`` otherwise, so another site's page cannot post to the local API either. Two
  ``Origin`` headers are 400 ``bad_origin`` (a check of the first alone would let the second through).
* ``check_header_block``: every header line is ``name: value`` with the name an HTTP token (no space
  before the colon), no line folded onto the previous one and no line without a colon; 400
  ``bad_header`` otherwise. ``http.server`` keeps ``Transfer-Encoding : chunked`` under another name and
  the body would then be read as the next request (request smuggling); it stops at a line without a
  colon and leaves the headers after it unread.
* ``body_framing``: ``Content-Length`` is one decimal number, ``Transfer-Encoding`` is ``chunked``
  alone and never comes with a ``Content-Length``; 400 ``bad_content_length`` /
  ``unsupported_transfer_encoding`` / ``ambiguous_body_length``.
* ``chunk_size``: a chunk-size line is hexadecimal digits (then optional ``;extensions``); 400
  ``bad_chunk``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
"""The host names the local API answers to (any port)."""

_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]*\]|[^:\[\]]*)(?::(?P<port>[0-9]{1,5}))?")
_LOOPBACK_ORIGIN = re.compile(r"https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DECIMAL = re.compile(r"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
CHUNK_LINE_LIMIT = 4096
"""The longest chunk-size line (with extensions) read."""


class GatewayError(Exception):
    """A request the gateway answers itself, with a JSON error."""

    def __init__(self, status: HTTPStatus, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def _bad_request(code: str, message: str) -> GatewayError:
    return GatewayError(HTTPStatus.BAD_REQUEST, code, message)


def check_target(target: str) -> None:
    """The request target is in origin form (a path); absolute URLs and ``*`` are refused."""
    if not target.startswith("/"):
        raise _bad_request("bad_request_target", "the request target must be a path starting with /")


def check_method(method: str) -> None:
    if not _TOKEN.fullmatch(method):
        raise _bad_request("bad_method", "the request method is not an HTTP token")


def check_host(values: Sequence[str] | None) -> None:
    """One ``Host`` header, naming loopback."""
    if not values:
        raise _bad_request("missing_host", "a Host header is required")
    if len(values) > 1:
        raise _bad_request("bad_host", "more than one Host header")
    found = _HOST.fullmatch(values[0].strip())
    if found is None:
        raise _bad_request("bad_host", "the Host header is not a host name with an optional port")
    if found.group("name").lower() not in LOOPBACK_HOSTS:
        raise GatewayError(
            HTTPStatus.FORBIDDEN,
            "host_not_allowed",
            "the local stack answers only requests for 127.0.0.1, localhost or [::1]",
        )


def check_origin(values: Sequence[str] | None) -> None:
    """A browser's ``Origin`` (every ``Origin`` header's value), when sent, is one loopback origin.

    Args:
        values: all values of the request's ``Origin`` headers (None or empty: no header).

    Raises:
        GatewayError: 400 ``bad_origin`` for more than one header; 403 ``origin_not_allowed`` for an
            origin that is not loopback (``null`` and other sites).
    """
    if not values:
        return
    if len(values) > 1:
        raise _bad_request("bad_origin", "more than one Origin header")
    if not _LOOPBACK_ORIGIN.fullmatch(values[0].strip()):
        raise GatewayError(
            HTTPStatus.FORBIDDEN,
            "origin_not_allowed",
            "the local stack answers only pages served from 127.0.0.1, localhost or [::1]",
        )


def check_header_block(headers: Sequence[tuple[str, str]], unparsed: str, defects: int) -> None:
    """The header lines parsed into ``headers`` are well formed, and none was left unparsed.

    Args:
        headers: the (name, value) pairs as parsed.
        unparsed: what the header parser kept as a "body" (lines after one it could not read).
        defects: how many defects the parser noted (a line without a name, say).

    Raises:
        GatewayError: 400 ``bad_header`` for a name that is not a token (``Transfer-Encoding :``), a
            folded line (a value with a line break), or lines the parser did not read as headers.
    """
    if unparsed or defects:
        raise _bad_request("bad_header", "a header line is not of the form name: value")
    for name, value in headers:
        if not _TOKEN.fullmatch(name):
            raise _bad_request("bad_header", "a header name is not an HTTP token (space before the colon?)")
        if "\r" in value or "\n" in value:
            raise _bad_request("bad_header", "folded header lines are not served")


@dataclass(frozen=True)
class BodyFraming:
    """How the body is delimited: ``chunked``, or ``length`` bytes (0: no body)."""

    chunked: bool
    length: int


def body_framing(
    content_length: Sequence[str] | None, transfer_encoding: Sequence[str] | None
) -> BodyFraming:
    """The framing the ``Content-Length`` and ``Transfer-Encoding`` headers (all their values) give."""
    if transfer_encoding:
        if content_length:
            raise _bad_request(
                "ambiguous_body_length", "a request cannot have both Content-Length and Transfer-Encoding"
            )
        codings = [coding.strip().lower() for value in transfer_encoding for coding in value.split(",")]
        if codings != ["chunked"]:
            raise _bad_request(
                "unsupported_transfer_encoding", "the only Transfer-Encoding served is chunked"
            )
        return BodyFraming(chunked=True, length=0)
    if not content_length:
        return BodyFraming(chunked=False, length=0)
    if len(content_length) > 1:
        raise _bad_request("bad_content_length", "more than one Content-Length header")
    text = content_length[0].strip()
    if not _DECIMAL.fullmatch(text):
        raise _bad_request("bad_content_length", "Content-Length must be a non-negative decimal number")
    return BodyFraming(chunked=False, length=int(text))


def chunk_size(line: bytes) -> int:
    """The size in a chunk-size line (``1a;ext=x\\r\\n``)."""
    if not line.endswith(b"\n"):
        raise _bad_request("bad_chunk", "a chunk-size line is cut short or too long")
    size = line.split(b";", 1)[0].strip(b" \t\r\n")
    if not _HEX.fullmatch(size):
        raise _bad_request("bad_chunk", "a chunk size must be hexadecimal digits")
    return int(size, 16)
