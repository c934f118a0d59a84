"""The running tool's deadline, carried in a context variable so upstream requests never outlive it.

The registry sets it in the worker thread (inside the copied context of the call) before running a
provider; :func:`time_left` clips each request's timeout to what remains.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("durable_agents_tool_deadline", default=None)


def set_deadline(monotonic_deadline: float) -> None:
    """Set the deadline (a ``time.monotonic()`` value) for the current context."""
    _DEADLINE.set(monotonic_deadline)


def time_left(limit: float) -> float:
    """``limit`` seconds, or less if the current deadline is nearer (may be zero or negative)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return limit
    return min(limit, deadline - time.monotonic())
