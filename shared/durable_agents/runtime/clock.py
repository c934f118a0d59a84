"""The runtime's clock: epoch milliseconds, read through :func:`now_ms` at call time.

Leases, TTLs and idempotency windows all take their time from here, and the lease condition compares
times this clock produced (DynamoDB has no clock of its own in conditions). Tests move time by
replacing :data:`source` (``monkeypatch.setattr(clock, "source", fake)``); callers always call
``clock.now_ms()`` so the replacement is seen everywhere.
"""

from __future__ import annotations

import time
from collections.abc import Callable

source: Callable[[], float] = time.time
"""Seconds since the epoch (``time.time`` unless a test replaced it)."""


def now_ms() -> int:
    return int(source() * 1000)


def now_s() -> int:
    return int(source())
