"""The lease a waiter gets: as long as anyone's, however long it waited for it.

Found by ``make coverage`` (the 16 x 50 contention test, slowed down by coverage's tracing, failed with
``LeaseLost``): a turn used to fix its lease's end when it started, before waiting for a busy object, so
a caller that waited longer than ``lease_seconds`` took a lease that had already run out, the next
waiter took it straight over, and the first turn's commit was refused. The lease's end is now computed
when the acquire that takes it is sent. (In Lambda the lease ends with the invocation's deadline, which a
wait cannot pass, so only the local stack, tests and other long-waiting callers could meet it.)

The test runs the waiter against the runtime's clock moved on (no sleeping past leases).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from durable_agents.runtime import clock
from durable_agents.runtime.table import AcquireFailed, StateTable
from tests.conftest import make_env
from tests.support.objects import Counter


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    offset = [0.0]
    monkeypatch.setattr(clock, "source", lambda: time.time() + offset[0])
    yield offset


def test_a_caller_that_waited_longer_than_a_lease_still_gets_a_whole_lease(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch, moved_clock: list[float]
) -> None:
    env = make_env(dynamodb, lease_seconds=30, busy_wait_seconds=60)
    table, pk = env.table, env.COUNTER.id_from_name("long-wait").key
    now = clock.now_ms()
    table.acquire(pk, owner="holder", until=now + 40_000, now=now, expires_at=now // 1000 + 3600)
    tried = threading.Event()
    real = StateTable.acquire

    def watched(self: StateTable, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("owner") != "holder":
            tried.set()  # the waiter's turn has started (its lease end is decided by now)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StateTable, "acquire", watched)
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def wait_then_run() -> None:
        try:
            outcome["waiter"] = env.COUNTER.get_by_name("long-wait").increment(who="stall")
        except Exception as error:  # noqa: BLE001 - inspected below
            outcome["waiter"] = error

    waiter = threading.Thread(target=wait_then_run)
    try:
        waiter.start()
        assert tried.wait(10)
        moved_clock[0] = 41  # the holder's lease runs out 41 s after the waiter started waiting
        assert Counter.holding.wait(10)  # the waiter took the lease and runs its turn
        later = clock.now_ms()
        rival_took_it = True
        try:
            real(table, pk, owner="rival", until=later + 60_000, now=later, expires_at=later // 1000 + 3600)
        except AcquireFailed:
            rival_took_it = False
        Counter.stall.set()
        waiter.join(10)
    finally:
        Counter.stall.set()
        Counter.stall = Counter.holding = None
    assert not rival_took_it, "the waiter's lease had run out the moment it was taken"
    assert outcome["waiter"] == 1
