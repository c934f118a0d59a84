"""Calling an upstream JSON API: one request through an :class:`HttpTransport`, every failure typed.

:func:`request_json` turns transport errors, timeouts, HTTP error statuses, rate limits and malformed
JSON into :class:`UpstreamError` messages that are safe to show: secrets (API keys in query strings,
client secrets) are redacted and bodies are quoted only briefly. :func:`parse` validates a payload
against a pydantic model of the upstream's documented shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError

from ..http import HttpError, HttpResponse, HttpTimeout, HttpTransport, ResponseTooLarge
from .deadline import time_left
from .errors import UpstreamError

M = TypeVar("M", bound=BaseModel)
_DETAIL_CHARS = 200


def url_with_query(base: str, query: Sequence[tuple[str, str]]) -> str:
    """``base?query`` with the parameters in the given order (recorded responses are keyed by URL)."""
    return f"{base}?{urlencode(query)}" if query else base


def request_json(
    transport: HttpTransport,
    service: str,
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    redact: Iterable[str] = (),
) -> Any:
    """The decoded JSON body of a 2xx answer; anything else raises :class:`UpstreamError`."""
    secrets = [value for value in redact if value]
    budget = time_left(timeout)
    if budget <= 0:
        raise UpstreamError(f"{service}: no time left before the tool's deadline")
    try:
        response = transport(method, url, headers=headers, body=body, timeout=budget)
    except HttpTimeout:
        raise UpstreamError(f"{service} did not answer within {budget:.1f}s") from None
    except ResponseTooLarge:
        raise UpstreamError(f"{service} answered with a body that is too large") from None
    except HttpError as error:
        raise UpstreamError(_redact(f"{service} request failed: {error}", secrets)) from None
    if response.status == 429:
        retry = response.header("retry-after")
        suffix = f", retry after {retry}s" if retry else ""
        raise UpstreamError(f"{service} rate limit exceeded (HTTP 429{suffix})", status=429)
    if not response.ok:
        detail = _error_detail(response)
        message = f"{service} answered HTTP {response.status}" + (f": {detail}" if detail else "")
        raise UpstreamError(_redact(message, secrets), status=response.status)
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise UpstreamError(f"{service} answered with malformed JSON", status=response.status) from None


def parse(model: type[M], payload: Any, service: str) -> M:
    """``payload`` validated as ``model``; a mismatch raises :class:`UpstreamError` naming the field."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise UpstreamError(f"{service} answered with unexpected data ({where}: {first['msg']})") from None


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _error_detail(response: HttpResponse) -> str:
    """A short reason from an error body, understanding the shapes the tools' APIs use."""
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text().strip()[:_DETAIL_CHARS]
    detail: Any = None
    if isinstance(payload, dict):
        errors = payload.get("errors")
        error = payload.get("error")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # Amadeus
            first = errors[0]
            detail = ": ".join(str(first[key]) for key in ("title", "detail") if first.get(key))
        elif isinstance(error, dict):  # Brave
            detail = error.get("detail") or error.get("code")
        else:  # Open-Meteo {"reason"}, OAuth2 {"error_description"}, OpenTripMap {"error"}
            detail = payload.get("reason") or payload.get("error_description") or error
    if detail is None:
        detail = json.dumps(payload)
    return str(detail)[:_DETAIL_CHARS]
