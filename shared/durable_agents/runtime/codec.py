"""Values stored by objects: JSON-able data or pydantic models, stored as compact JSON text.

Encoding happens when a value is written (so a bad value fails at ``put``, not at commit) and decoding
on every read (so callers always get their own copy, like a Durable Object's structured clone).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import InvalidValue


def to_jsonable(value: Any) -> Any:
    """Pydantic models (at any depth) become plain data; everything else is returned as is."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def encode(value: Any) -> str:
    try:
        return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"value is not JSON-serialisable: {error}") from error


def decode(text: str) -> Any:
    return json.loads(text)


def copy_as_json(value: Any) -> Any:
    """``value`` as it arrives after crossing a process boundary: plain JSON data, a fresh copy."""
    return decode(encode(value))
