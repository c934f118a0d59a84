"""Patches that make moto behave like the real services where our guarantees depend on it.

Real DynamoDB applies each request atomically: a conditional ``UpdateItem`` evaluates its condition and
writes in one step. moto evaluates and writes in plain Python with no lock, so two threads (or two
requests to ``ThreadedMotoServer``) can both pass the same condition. :func:`make_dynamodb_atomic`
serialises moto's DynamoDB request handling, restoring the one-request-at-a-time semantics the lease
lock relies on. It changes nothing else about moto.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_DYNAMODB_LOCK = threading.RLock()


def make_dynamodb_atomic() -> None:
    """Serialise moto's DynamoDB request handling (idempotent; safe to call many times)."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_atomic", False):
        return
    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            return original(self)

    call_action._atomic = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
