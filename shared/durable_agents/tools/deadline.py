"""Deadlines: the running tool's, carried in a context variable so upstream requests never outlive it,
and the Lambda invocation's, which every round of tool calls (and each Bedrock call) is budgeted from.

The registry sets the tool deadline in the worker thread (inside the copied context of the call) before
running a provider; :func:`time_left` clips each request's timeout to what remains. The invocation's
deadline is the runtime's (:func:`durable_agents.runtime.lease.current_invocation`): the Lambda context's,
or the caller's when that is earlier.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from ..runtime.lease import current_invocation

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


def invocation_seconds_left(default: float) -> float:
    """Seconds left before the current invocation's deadline (never negative); ``default`` outside one."""
    invocation = current_invocation()
    if invocation is None or invocation.deadline_ms is None:
        return default
    return max(0.0, invocation.deadline_ms / 1000 - time.time())
