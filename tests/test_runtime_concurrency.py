"""The lease lock under contention, crashes, takeovers and retries (moto-backed, real conditional writes)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from durable_agents.runtime import Env, LeaseLost, ObjectBusy, ReentrancyError, UnknownMethod
from durable_agents.runtime import turn as turn_module
from tests.conftest import make_env
from tests.support.objects import Counter


@pytest.mark.parametrize(
    ("threads", "per_thread"), [(2, 10), pytest.param(16, 50, marks=pytest.mark.slow, id="16-50")]
)
def test_threads_incrementing_one_object_lose_nothing(dynamodb: Any, threads: int, per_thread: int) -> None:
    """Every increment applied once, from 2 threads x 10 (``make test``) and 16 x 50 (``make test-slow``)."""
    env = make_env(dynamodb, busy_wait_seconds=120, lease_seconds=30)
    stub = env.COUNTER.get_by_name("hot")

    def worker(t: int) -> list[int]:
        return [stub.increment(who=f"t{t}") for _ in range(per_thread)]

    with ThreadPoolExecutor(threads) as pool:
        results = [r for batch in pool.map(worker, range(threads)) for r in batch]
    total = threads * per_thread
    assert stub.count() == total
    # every turn saw a distinct count: no two turns applied on the same state
    assert sorted(results) == list(range(1, total + 1))
    entries = stub.recent(total)
    assert len(entries) == total
    for t in range(threads):
        assert sum(1 for e in entries if e["who"] == f"t{t}") == per_thread


def test_busy_object_reports_holder_and_deadline(dynamodb: Any) -> None:
    env = make_env(dynamodb, busy_wait_seconds=0.2)
    object_id = env.COUNTER.id_from_name("held")
    now = int(time.time() * 1000)
    env.table.acquire(
        object_id.key, owner="someone/else", until=now + 60_000, now=now, expires_at=now // 1000 + 60
    )
    started = time.monotonic()
    with pytest.raises(ObjectBusy) as caught:
        env.COUNTER.get(object_id).increment()
    assert 0.15 < time.monotonic() - started < 2
    assert caught.value.holder == "someone/else"
    assert caught.value.lease_until and caught.value.lease_until > time.time() * 1000
    assert 0 < caught.value.retry_after <= 5


def test_crash_mid_turn_next_caller_takes_over_after_lease(dynamodb: Any, monkeypatch: Any) -> None:
    env = make_env(dynamodb, lease_seconds=0.5, busy_wait_seconds=5)
    stub = env.COUNTER.get_by_name("crashy")
    assert stub.increment(by=10) == 10

    class Crash(BaseException):
        """Stands for the process dying: nothing after it runs, the lease is left behind."""

    def die(*args: Any, **kwargs: Any) -> None:
        raise Crash()

    with monkeypatch.context() as patch:
        patch.setattr(env.table, "commit", die)
        patch.setattr(turn_module, "_release_all", lambda *a, **k: None)
        with pytest.raises(Crash):
            stub.increment(by=5)
    item = dynamodb.get_item(TableName="state-test", Key={"pk": {"S": stub.id.key}, "sk": {"S": "STATE"}})[
        "Item"
    ]
    assert "owner" in item  # the lease was left behind
    started = time.monotonic()
    assert stub.increment(by=1) == 11  # the crashed turn's +5 never landed; the +10 is intact
    assert time.monotonic() - started >= 0.2  # it had to wait for the lease to run out
    assert [e["by"] for e in stub.recent(10)] == [10, 1]


def test_stale_holder_commit_is_rejected_and_writes_nothing(dynamodb: Any) -> None:
    slow_env = make_env(dynamodb, lease_seconds=0.3)
    fast_env = make_env(dynamodb, lease_seconds=30, busy_wait_seconds=5)
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    try:
        outcome: dict[str, Any] = {}

        def slow() -> None:
            try:
                outcome["slow"] = slow_env.COUNTER.get_by_name("contested").increment(by=100, who="stall")
            except Exception as error:  # noqa: BLE001
                outcome["slow"] = error

        thread = threading.Thread(target=slow)
        thread.start()
        assert Counter.holding.wait(5)  # the slow turn holds the lease and has buffered its +100
        assert fast_env.COUNTER.get_by_name("contested").increment(by=1, who="fast") == 1
        Counter.stall.set()
        thread.join(5)
    finally:
        Counter.stall = Counter.holding = None
    assert isinstance(outcome["slow"], LeaseLost)
    stub = fast_env.COUNTER.get_by_name("contested")
    assert stub.count() == 1
    assert [e["who"] for e in stub.recent(10)] == ["fast"]


def test_retried_message_id_returns_recorded_response_and_applies_once(env: Env) -> None:
    stub = env.COUNTER.get_by_name("idem")
    first = stub.call("increment", by=7, idempotency_key="msg-1")
    again = stub.call("increment", by=7, idempotency_key="msg-1")
    assert first == again == 7
    assert stub.call("increment", by=1, idempotency_key="msg-2") == 8
    assert stub.count() == 8
    assert len(stub.recent(10)) == 2


def test_two_round_trips_per_turn(env: Env, round_trips: Any) -> None:
    stub = env.COUNTER.get_by_name("rt")
    stub.increment()
    for _ in range(3):
        round_trips.reset()
        stub.increment()
        # the tally and the new entry both fit the STATE item: acquire + one UpdateItem commit
        assert dict(round_trips.calls) == {"UpdateItem": 2}, round_trips.calls
    round_trips.reset()
    stub.noop()  # nothing written: acquire + release
    assert dict(round_trips.calls) == {"UpdateItem": 2}


@pytest.mark.parametrize("length", [500, pytest.param(10_000, marks=pytest.mark.slow)])
def test_turn_cost_is_flat_with_a_long_history(
    env: Env, dynamodb: Any, round_trips: Any, length: int
) -> None:
    """Two round trips a turn with 10 entries of history and with ``length`` (10,000: ``make test-slow``)."""
    stub = env.COUNTER.get_by_name("long")
    small, large = env.COUNTER.get_by_name("short"), stub
    small.append([{"i": i} for i in range(10)])
    for start in range(0, length, 99):
        large.append(
            [{"i": i, "text": "a typical chat message " * 4} for i in range(start, min(start + 99, length))]
        )
    costs = {}
    for label, target, last in (("short", small, 10), ("long", large, length)):
        round_trips.reset()
        target.increment()
        costs[label] = round_trips.total
        round_trips.reset()
        assert [e["by"] for e in target.recent(1)] == [1]
        # the four entries appended before the increment, in order, then the increment's
        assert [e.get("i") for e in target.recent(5)] == [last - 4, last - 3, last - 2, last - 1, None]
    assert costs == {"short": 2, "long": 2}
    assert len(large.recent(length + 1)) == length + 1
    biggest = 0
    scan: dict[str, Any] = {"TableName": "state-test"}
    while True:
        page = dynamodb.scan(**scan)
        biggest = max([biggest] + [len(str(item).encode()) for item in page["Items"]])
        if "LastEvaluatedKey" not in page:
            break
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert biggest < 400_000 // 4  # the state item stays small


def test_recent_history_is_served_without_extra_requests(env: Env, round_trips: Any) -> None:
    stub = env.COUNTER.get_by_name("tail")
    stub.append(list(range(50)))
    round_trips.reset()
    assert stub.recent(5) == [45, 46, 47, 48, 49]
    assert round_trips.total == 2  # acquire + release; the tail came with the state


def test_call_cycle_fails_clearly_instead_of_deadlocking(env: Env) -> None:
    assert env.PINGER.get_by_name("a").ping("b") == "ping>pong"
    started = time.monotonic()
    with pytest.raises(ReentrancyError, match="already held"):
        env.PINGER.get_by_name("a").ping("b", bounce=True)
    assert time.monotonic() - started < 1
    # nothing from the failed chain was committed, and both objects are free again
    assert env.PINGER.get_by_name("a").touch() == "touched"
    assert env.PONGER.get_by_name("b").pong("a", False) == "pong"


def test_only_rpc_methods_are_callable(env: Env) -> None:
    with pytest.raises(UnknownMethod):
        env.COUNTER.get_by_name("x").call("not_rpc")
    with pytest.raises(UnknownMethod):
        env.COUNTER.get_by_name("x").call("_lock")


def test_idle_objects_get_a_ttl_from_their_namespace_retention(dynamodb: Any) -> None:
    env = make_env(dynamodb, object_retention_days="COUNTER=2,*=30")
    stub = env.COUNTER.get_by_name("ttl")
    stub.increment()
    item = dynamodb.get_item(TableName="state-test", Key={"pk": {"S": stub.id.key}, "sk": {"S": "STATE"}})[
        "Item"
    ]
    expected = time.time() + 2 * 86400
    assert abs(int(item["expires_at"]["N"]) - expected) < 60


def test_a_long_turn_extends_its_lease_fenced(dynamodb: Any) -> None:
    holder_env = make_env(dynamodb, lease_seconds=0.3)
    rival_env = make_env(dynamodb, busy_wait_seconds=0.6)
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}
    try:
        thread = threading.Thread(
            target=lambda: outcome.setdefault("r", holder_env.COUNTER.get_by_name("long").extend(60, wait=5))
        )
        thread.start()
        assert Counter.holding.wait(5)  # the holder has extended its lease
        with pytest.raises(ObjectBusy) as caught:  # without the extension the lease would end in 0.3 s
            rival_env.COUNTER.get_by_name("long").noop()
        assert caught.value.lease_until and caught.value.lease_until > time.time() * 1000 + 50_000
        Counter.stall.set()
        thread.join(5)
    finally:
        Counter.stall = Counter.holding = None
    assert rival_env.COUNTER.get_by_name("long").get("extended") == 60


def test_extending_a_lease_that_was_taken_over_fails(dynamodb: Any) -> None:
    env = make_env(dynamodb)
    object_id = env.COUNTER.id_from_name("gone")
    now = int(time.time() * 1000)
    state = env.table.acquire(object_id.key, owner="a", until=now - 1, now=now, expires_at=now // 1000 + 60)
    env.table.acquire(object_id.key, owner="b", until=now + 60_000, now=now + 1, expires_at=now // 1000 + 60)
    with pytest.raises(LeaseLost):
        env.table.extend(object_id.key, owner="a", fence=state.fence, until=now + 60_000)
