"""Lease timing: how long a turn may hold an object, and how a caller waits for a busy one.

A lease runs to the end of the current Lambda invocation plus a margin: a holder that crashes or times
out simply stops renewing nothing (there is no heartbeat), and the next caller takes over once the
lease has run out. Outside Lambda (tests, the local stack) the lease is ``lease_seconds`` long.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from . import clock


@dataclass(frozen=True, slots=True)
class Invocation:
    """The Lambda invocation a turn runs in: its request id and deadline (epoch ms), if known."""

    request_id: str
    deadline_ms: int | None = None


_INVOCATION: ContextVar[Invocation | None] = ContextVar("durable_agents_invocation", default=None)


@contextmanager
def lambda_invocation(context: Any, *, caller_deadline_ms: int | None = None) -> Iterator[Invocation]:
    """Make ``context`` (a Lambda context object, or ``None``) the current invocation.

    Handlers wrap their work in this so that leases end with the invocation's deadline and owner ids
    name the request. ``caller_deadline_ms`` is the deadline of whoever invoked this function (the
    object host gets it in the payload): the earlier of the two wins, so nothing here outlives its
    caller. Remaining time is clamped at zero.
    """
    request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    deadline: int | None = None
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        deadline = clock.now_ms() + max(0, int(remaining()))
    if caller_deadline_ms is not None:
        deadline = caller_deadline_ms if deadline is None else min(deadline, caller_deadline_ms)
    token = _INVOCATION.set(Invocation(request_id=request_id, deadline_ms=deadline))
    try:
        yield _INVOCATION.get()  # type: ignore[misc]
    finally:
        _INVOCATION.reset(token)


def current_invocation() -> Invocation | None:
    return _INVOCATION.get()


def remaining_seconds(default: float) -> float:
    """Seconds left before the current invocation's deadline (``default`` outside an invocation)."""
    invocation = _INVOCATION.get()
    if invocation is None or invocation.deadline_ms is None:
        return default
    return max(0.0, (invocation.deadline_ms - clock.now_ms()) / 1000)


def new_owner() -> str:
    """A lease owner id, unique per turn and made at call time (never at import: SnapStart)."""
    invocation = _INVOCATION.get()
    request = invocation.request_id if invocation else "local"
    return f"{request}/{uuid.uuid4().hex[:16]}"


def lease_until(*, default_seconds: float, margin_seconds: float, now: int | None = None) -> int:
    """When a lease taken now should end (epoch ms)."""
    now = clock.now_ms() if now is None else now
    invocation = _INVOCATION.get()
    if invocation is not None and invocation.deadline_ms is not None:
        return max(invocation.deadline_ms, now) + int(margin_seconds * 1000)
    return now + int(default_seconds * 1000)


def wait_budget(seconds: float) -> float:
    """How long a caller may wait for a busy object: ``seconds``, but never past the invocation's end."""
    invocation = _INVOCATION.get()
    if invocation is not None and invocation.deadline_ms is not None:
        left = (invocation.deadline_ms - clock.now_ms()) / 1000 - 0.5
        return max(0.0, min(seconds, left))
    return seconds


class Backoff:
    """Full-jitter exponential backoff, bounded by a total budget."""

    def __init__(self, budget_seconds: float, *, base: float = 0.01, cap: float = 0.25):
        self._deadline = time.monotonic() + budget_seconds
        self._base = base
        self._cap = cap
        self._attempt = 0

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def sleep(self) -> bool:
        """Sleep before the next attempt; ``False`` (without sleeping) when the budget is spent."""
        left = self.remaining()
        if left <= 0:
            return False
        delay = random.uniform(self._base / 2, min(self._cap, self._base * 2**self._attempt))
        self._attempt += 1
        time.sleep(min(delay, left))
        return True
