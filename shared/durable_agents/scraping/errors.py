"""Why a scrape failed: a small closed set of codes, and the exception the pipeline raises internally.

Every step of the pipeline (URL checks, address checks, robots.txt, rate limit, fetch, extraction)
raises :class:`ScrapeFailure` with one :class:`ErrorCode`; :meth:`Scraper.scrape` turns it into an
``ok=False`` :class:`ScrapeResult`, so callers never see an exception for an expected failure.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The reason a scrape produced no page."""

    INVALID_URL = "invalid_url"
    """Not an absolute http(s) URL, carries credentials, too long, or a malformed host."""
    BLOCKED_ADDRESS = "blocked_address"
    """The host (or a redirect hop) resolves to a loopback, private, link-local, ... or metadata address."""
    ROBOTS_DISALLOWED = "robots_disallowed"
    """robots.txt forbids the path for our user agent, or could not be read (5xx, timeout: conservative)."""
    RATE_LIMITED = "rate_limited"
    """The domain was contacted too recently; ``retry_after`` says when to try again."""
    TIMEOUT = "timeout"
    """The server did not answer within the request's timeout."""
    TOO_LARGE = "too_large"
    """The body exceeded the request's ``max_bytes``."""
    HTTP_ERROR = "http_error"
    """The server answered with a non-2xx status (``status`` holds it), or a redirect without Location."""
    UNSUPPORTED_CONTENT = "unsupported_content"
    """Not HTML or text (images, PDFs, archives, ...), or a compressed body."""
    FETCH_FAILED = "fetch_failed"
    """DNS failure, refused connection, TLS error, too many redirects."""


class ScrapeFailure(Exception):
    """A scrape step failed with ``code``; the message is safe to show (no stack trace, no secrets)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.status = status
