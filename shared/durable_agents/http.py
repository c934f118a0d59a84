"""A small HTTP client for tools and the scraper: standard library only, hard limits, injectable transport.

Every outbound request in the package goes through an :class:`HttpTransport`. Production uses
:class:`UrllibTransport` (``urllib.request``, no extra dependency in the layer); tests use
:class:`RecordedTransport`, which answers from recorded responses and never touches the network.

Limits are part of the call, not an afterthought: each request has a timeout and a maximum body size,
and exceeding either raises a typed error instead of hanging or filling memory.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
USER_AGENT = "durable-agents/0.1 (+https://github.com/durable-agents)"


class HttpError(Exception):
    """The request could not be completed (connection refused, DNS failure, TLS error, ...)."""


class HttpTimeout(HttpError):
    """The server did not answer within the request's timeout."""


class ResponseTooLarge(HttpError):
    """The response body exceeded the request's ``max_bytes``."""


@dataclass(frozen=True)
class HttpResponse:
    """A completed HTTP exchange. ``status`` may be any code: callers decide what an error is."""

    status: int
    url: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str, default: str = "") -> str:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def text(self) -> str:
        charset = "utf-8"
        content_type = self.header("content-type")
        if "charset=" in content_type:
            charset = content_type.split("charset=", 1)[1].split(";", 1)[0].strip() or "utf-8"
        return self.body.decode(charset, errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class HttpTransport(Protocol):
    """Performs one request. Implementations must honour ``timeout`` and ``max_bytes``.

    Redirects are *not* followed: a 3xx comes back as a response, so that callers which must vet every
    hop (the scraper's address checks) can do so.
    """

    def __call__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> HttpResponse: ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """The real network, through ``urllib`` (no redirects followed, bounded reads)."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect())

    def __call__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> HttpResponse:
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
        try:
            response = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:  # 4xx/5xx/3xx still carry a response
            response = error
        except TimeoutError as error:
            raise HttpTimeout(f"{method} {url} timed out after {timeout:g}s") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise HttpTimeout(f"{method} {url} timed out after {timeout:g}s") from error
            raise HttpError(f"{method} {url} failed: {error.reason}") from error
        except OSError as error:
            raise HttpError(f"{method} {url} failed: {error}") from error
        with response:
            try:
                payload = response.read(max_bytes + 1)
            except TimeoutError as error:
                raise HttpTimeout(f"{method} {url} timed out reading the body") from error
            if len(payload) > max_bytes:
                raise ResponseTooLarge(f"{method} {url}: body larger than {max_bytes} bytes")
            return HttpResponse(
                status=response.status,
                url=url,
                body=payload,
                headers=dict(response.headers.items()),
            )


Responder = HttpResponse | Exception | Callable[[str, str, bytes | None], HttpResponse]


class RecordedTransport:
    """Answers from recorded exchanges keyed by ``(METHOD, url)``; an unknown request is an error.

    A recorded value is a response, an exception to raise (to replay a timeout or a refused
    connection), or a callable ``(method, url, body) -> HttpResponse``. Every request made is kept in
    :attr:`requests` so tests can assert what was asked.
    """

    def __init__(self, recordings: Mapping[tuple[str, str], Responder] | None = None) -> None:
        self.recordings: dict[tuple[str, str], Responder] = dict(recordings or {})
        self.requests: list[tuple[str, str, Mapping[str, str]]] = []

    def add(self, method: str, url: str, responder: Responder) -> None:
        self.recordings[(method.upper(), url)] = responder

    def __call__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> HttpResponse:
        self.requests.append((method.upper(), url, dict(headers or {})))
        try:
            responder = self.recordings[(method.upper(), url)]
        except KeyError:
            raise HttpError(f"no recorded response for {method.upper()} {url}") from None
        if isinstance(responder, Exception):
            raise responder
        response = responder(method, url, body) if callable(responder) else responder
        if len(response.body) > max_bytes:
            raise ResponseTooLarge(f"{method} {url}: body larger than {max_bytes} bytes")
        return response
