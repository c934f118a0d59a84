"""Request bodies and who is asking: validated before anything runs."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..agents.models import MAX_MESSAGE_CHARS
from .errors import ApiError

MAX_BODY_BYTES = 64 * 1024
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
"""An id (user, session, idempotency key) in any request: REST bodies and the WebSocket's messages."""
_ID = re.compile(ID_PATTERN)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,255}$")


def check_id(value: str, what: str) -> str:
    """``value`` if it is a valid id (user, session, key); else ``ValueError`` (pydantic validators)."""
    if not _ID.match(value):
        raise ValueError(
            f"{what} must be 1-128 characters of letters, digits and _ . : @ - "
            "(starting with a letter or digit)"
        )
    return value


def require_id(value: str, what: str) -> str:
    """:func:`check_id` for ids outside a body (headers, paths): a 400 :class:`ApiError`."""
    try:
        return check_id(value, what)
    except ValueError as error:
        raise ApiError(400, "invalid_request", str(error)) from None


def check_name(name: str) -> str:
    """An object name in an ``/agents/{namespace}/{name}`` path (``travel:<sessionId>``, ...): the id syntax,
    checked before any object is reached."""
    if not _NAME.match(name):
        raise ApiError(
            400,
            "invalid_name",
            "an object name is 1-256 characters of letters, digits and _ . : @ - "
            "(starting with a letter or digit)",
        )
    return name


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ChatRequest(BaseModel):
    """``POST /chat`` body."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    session_id: str | None = Field(default=None, alias="sessionId")
    user_id: str | None = Field(default=None, alias="userId")

    @field_validator("message")
    @classmethod
    def _message(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("message must not contain control characters (other than tab and line breaks)")
        return value

    @field_validator("session_id")
    @classmethod
    def _session(cls, value: str | None) -> str | None:
        return None if value is None else check_id(value, "sessionId")

    @field_validator("user_id")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        return None if value is None else check_id(value, "userId")


def json_body(raw: str | None, *, is_base64: bool = False) -> dict[str, Any]:
    """The request body as a JSON object, or a 400/413 :class:`ApiError`."""
    if raw is None or raw == "":
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    if is_base64:
        import base64

        try:
            raw = base64.b64decode(raw).decode()
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "invalid_json", "the request body is not UTF-8 text") from None
    if len(raw.encode("utf-8", errors="surrogatepass")) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the request body must be a JSON object")
    check_text(body)
    return body


def check_text(body: dict[str, Any]) -> None:
    """A 400 :class:`ApiError` if any string of ``body`` (a key or a value, at any depth) is not valid
    Unicode: a lone surrogate (``"\\ud800"`` in the JSON) cannot be encoded as UTF-8, so no id, text or
    key holding one may reach an object (it would fail deep inside, as a 500). One pass, linear."""
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "invalid_text", "the request body holds text that is not valid Unicode (a lone surrogate)"
        ) from None


def header(headers: dict[str, str], name: str) -> str | None:
    """The stripped, non-empty value of header ``name`` (case-insensitive), if any."""
    return next((v.strip() for k, v in headers.items() if k.lower() == name and v and v.strip()), None)


class TranscriptQuery(BaseModel):
    """``GET /sessions/{id}`` query: ``limit`` turns (1-100, default 20) ``before`` a cursor."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    before: int | None = Field(default=None, ge=1)

    @classmethod
    def from_params(cls, params: dict[str, str] | None) -> TranscriptQuery:
        """From the query string (a ``ValidationError``, i.e. a 400, for anything else in it)."""
        return cls.model_validate(params or {})


def idempotency_key(headers: dict[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "idempotency-key"), None)
    if value is None:
        return None
    value = value.strip()
    if not _ID.match(value):
        raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-128 URL-safe characters")
    return value
