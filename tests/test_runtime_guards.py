"""The checks the lease, commit and release paths rely on, each pinned by a test that fails when the
check is weakened (the surviving mutants of issue 13), and the limits DynamoDB enforces, enforced before
anything is sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from durable_agents.runtime import (
    Env,
    InvalidValue,
    LeaseLost,
    ServiceUnavailable,
    TurnTooLarge,
    clock,
)
from durable_agents.runtime.storage import MAX_HISTORY_ENTRY_BYTES, MAX_VALUE_BYTES
from durable_agents.runtime.table import STATE_SK, Close, Commit, StateTable
from tests.conftest import TABLE, RoundTrips, make_env
from tests.support.faults import FaultInjector
from tests.support.objects import Counter
from tests.support.stack import full_history


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The runtime's clock, stopped at a chosen second (``now[0]``)."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(clock, "source", lambda: now[0])
    yield now


def table_of(env: Env) -> StateTable:
    return env.table


def state(dynamodb: Any, pk: str) -> dict[str, Any]:
    return dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": STATE_SK}}, ConsistentRead=True
    )["Item"]


# --- the fence ---------------------------------------------------------------------------------------------


def test_every_acquire_takes_a_newer_fence(env: Env, dynamodb: Any) -> None:
    stub = env.COUNTER.get_by_name("fences")
    fences = [stub.fence() for _ in range(4)]
    assert fences == sorted(set(fences)) and len(fences) == 4  # strictly increasing, turn after turn
    table = table_of(env)
    now = clock.now_ms()
    taken = table.acquire(
        stub.id.key, owner="by-hand", until=now + 1000, now=now, expires_at=now // 1000 + 60
    )
    assert taken.fence == fences[-1] + 1


def test_a_commit_with_a_stale_fence_is_refused_even_for_the_same_owner(env: Env, dynamodb: Any) -> None:
    """Owner ids are unique per turn, so only a forged owner can show it: the fence alone refuses a
    holder whose lease was taken again (what matters once the fence guards writes to other stores)."""
    stub = env.COUNTER.get_by_name("stale-fence")
    stub.increment()
    table = table_of(env)
    now = clock.now_ms()
    first = table.acquire(
        stub.id.key, owner="same-owner", until=now - 1, now=now, expires_at=now // 1000 + 60
    )
    again = table.acquire(
        stub.id.key, owner="same-owner", until=now + 60_000, now=now, expires_at=now // 1000 + 60
    )
    assert again.fence == first.fence + 1
    stale = Close(
        pk=stub.id.key,
        owner="same-owner",
        fence=first.fence,
        snapshot=first,
        seq=first.seq,
        paged=first.paged,
        gen=first.gen,
        hot=[("tally", '{"count":999,"last_by":"stale"}')],
        tail=first.tail,
        own=first.own,
        expires_at=now // 1000 + 60,
    )
    with pytest.raises(LeaseLost):
        table.commit(Commit(token="stale", closes=[stale]))
    table.release(Close(pk=stub.id.key, owner="same-owner", fence=again.fence, snapshot=again))
    assert stub.count() == 1


# --- the lease's end ---------------------------------------------------------------------------------------


def test_a_lease_holds_through_its_last_millisecond(env: Env, frozen: list[float]) -> None:
    table = table_of(env)
    pk = env.COUNTER.id_from_name("boundary").key
    now = clock.now_ms()
    table.acquire(pk, owner="holder", until=now + 500, now=now, expires_at=now // 1000 + 60)
    at_the_end = now + 500
    from durable_agents.runtime.table import AcquireFailed

    with pytest.raises(AcquireFailed):  # lease_until == now: still held
        table.acquire(pk, owner="rival", until=at_the_end + 500, now=at_the_end, expires_at=now // 1000 + 60)
    taken = table.acquire(
        pk, owner="rival", until=at_the_end + 501, now=at_the_end + 1, expires_at=now // 1000 + 60
    )
    assert taken.owner == "rival"


# --- release ---------------------------------------------------------------------------------------------


def test_a_turn_that_wrote_nothing_and_outlived_its_lease_is_told_it_lost_it(dynamodb: Any) -> None:
    holder_env = make_env(dynamodb, lease_seconds=0.3)
    rival_env = make_env(dynamodb, lease_seconds=30, busy_wait_seconds=5)
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}
    try:

        def hold() -> None:
            try:
                outcome["holder"] = holder_env.COUNTER.get_by_name("outlived").noop(wait=10)
            except Exception as error:  # noqa: BLE001
                outcome["holder"] = error

        thread = threading.Thread(target=hold)
        thread.start()
        assert Counter.holding.wait(5)
        assert rival_env.COUNTER.get_by_name("outlived").increment(who="rival") == 1  # took the lease over
        Counter.stall.set()
        thread.join(5)
    finally:
        Counter.stall = Counter.holding = None
    assert isinstance(outcome["holder"], LeaseLost)


# --- transactions cancelled for other reasons -------------------------------------------------------------


def keyed(env: Env, name: str, key: str) -> int:
    return env.COUNTER.get_by_name(name).call("increment", who=key, idempotency_key=key)


@pytest.mark.parametrize("kind", ["cancel_conflict", "cancel_throttling"])
def test_a_transient_cancellation_is_retried_and_applies_once(env: Env, dynamodb: Any, kind: str) -> None:
    keyed(env, f"transient-{kind}", "first")
    with FaultInjector(dynamodb) as faults:
        faults.add(kind, times=2)
        assert keyed(env, f"transient-{kind}", "second") == 2
        assert faults.total == 2
    assert [e["who"] for e in full_history(env.table, env.COUNTER.id_from_name(f"transient-{kind}").key)] == [
        "first",
        "second",
    ]


@pytest.mark.parametrize("kind", ["cancel_conflict", "cancel_throttling"])
def test_a_cancellation_that_persists_is_unavailable_and_stores_nothing(
    env: Env, dynamodb: Any, kind: str
) -> None:
    stub = env.COUNTER.get_by_name(f"persistent-{kind}")
    keyed(env, f"persistent-{kind}", "first")
    with FaultInjector(dynamodb) as faults:
        faults.add(kind)
        with pytest.raises(ServiceUnavailable):
            keyed(env, f"persistent-{kind}", "second")
    assert stub.count() == 1 and "owner" not in state(dynamodb, stub.id.key)
    assert keyed(env, f"persistent-{kind}", "second") == 2  # later, the same key applies once


def test_a_transaction_refused_on_its_lease_is_never_reported_as_success(env: Env, dynamodb: Any) -> None:
    stub = env.COUNTER.get_by_name("refused-commit")
    keyed(env, "refused-commit", "first")
    with FaultInjector(dynamodb) as faults:
        faults.add("cancel_condition", times=1)
        with pytest.raises(LeaseLost):
            keyed(env, "refused-commit", "second")
    assert stub.count() == 1


# --- limits, enforced before anything is sent ------------------------------------------------------------


def test_a_turn_larger_than_a_transaction_is_refused_before_it_is_sent(env: Env, dynamodb: Any) -> None:
    stub = env.COUNTER.get_by_name("too-large")
    calls = RoundTrips(dynamodb)
    with pytest.raises(TurnTooLarge, match="4194304"):
        stub.put_many({"a": "x" * 2_900_000, "b": "y" * 2_900_000})  # each fits; together over 4 MB
    assert "TransactWriteItems" not in calls.calls and "PutItem" not in calls.calls
    with pytest.raises(TurnTooLarge, match="at most 100 items"):
        stub.put_many({f"k{i}": "v" * 300 for i in range(120)})  # 120 value items: over 100
    assert "TransactWriteItems" not in calls.calls
    assert stub.get("a") is None and stub.get("k0") is None  # nothing stored, the lease given back
    assert "owner" not in state(dynamodb, stub.id.key)
    assert stub.put_many({f"k{i}": "v" * 300 for i in range(90)}) == 90  # within the limits: fine


def test_value_and_history_entry_limits(env: Env) -> None:
    stub = env.COUNTER.get_by_name("limits")
    with pytest.raises(InvalidValue, match=str(MAX_VALUE_BYTES)):
        stub.put_many({"huge": "z" * (MAX_VALUE_BYTES + 1)})
    with pytest.raises(InvalidValue, match=str(MAX_HISTORY_ENTRY_BYTES)):
        stub.append(["e" * (MAX_HISTORY_ENTRY_BYTES + 1)])
    assert stub.put_many({"max": "z" * (MAX_VALUE_BYTES - 2)}) == 1  # a JSON string: 2 quotes
    assert len(stub.get("max")) == MAX_VALUE_BYTES - 2
    assert stub.append(["e" * (MAX_HISTORY_ENTRY_BYTES - 2)]) == 1


# --- read-only turns see one committed state -------------------------------------------------------------


def test_a_read_only_turn_that_raced_a_commit_reads_again(
    env: Env, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only method reads the STATE item, then a value item; a commit lands in between. The read
    of the value sees a newer version than the STATE item it started from, so the method runs again."""
    scratch = env.SCRATCH.get_by_name("raced")
    scratch.run([["put", "pair", {"a": 1, "b": 1, "pad": "p" * 600}], ["put", "count", 1]])
    real = StateTable.get_values
    raced: list[int] = []

    def commit_in_between(self: StateTable, *args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(1)
            thread = threading.Thread(
                target=lambda: scratch.run(
                    [["put", "pair", {"a": 2, "b": 2, "pad": "p" * 600}], ["put", "count", 2]]
                )
            )
            thread.start()
            thread.join(10)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(StateTable, "get_values", commit_in_between)
    pair, count = scratch.peek([["get", "pair"], ["get", "count"]])
    assert raced
    assert (pair["a"], count) == (2, 2)  # one state: not the new pair with the old count


def test_waiting_ends_with_the_callers_budget(dynamodb: Any) -> None:
    holder_env = make_env(dynamodb, lease_seconds=30)
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    try:
        thread = threading.Thread(target=lambda: holder_env.COUNTER.get_by_name("budget").noop(wait=10))
        thread.start()
        assert Counter.holding.wait(5)
        from durable_agents.runtime import ObjectBusy

        started = time.monotonic()
        with pytest.raises(ObjectBusy):
            make_env(dynamodb, busy_wait_seconds=0.5).COUNTER.get_by_name("budget").increment()
        assert 0.45 < time.monotonic() - started < 3
    finally:
        if Counter.stall is not None:
            Counter.stall.set()
        thread.join(5)
        Counter.stall = Counter.holding = None


def test_an_item_over_400_kb_is_refused_before_it_is_sent(env: Env, dynamodb: Any) -> None:
    """The runtime chunks what it writes, so no item it builds reaches 400 KB; the check before sending is
    what holds if one ever did (a transaction with such an item is refused by DynamoDB as a whole)."""
    from durable_agents.runtime.sizes import MAX_ITEM_BYTES

    stub = env.COUNTER.get_by_name("item-limit")
    stub.increment()
    table = table_of(env)
    now = clock.now_ms()
    held = table.acquire(
        stub.id.key, owner="by-hand", until=now + 60_000, now=now, expires_at=now // 1000 + 60
    )
    close = Close(pk=stub.id.key, owner="by-hand", fence=held.fence, snapshot=held)
    oversized = {
        "pk": {"S": stub.id.key},
        "sk": {"S": f"G{held.gen}#K#huge"},
        "v": {"S": "x" * MAX_ITEM_BYTES},
    }
    calls = RoundTrips(dynamodb)
    with pytest.raises(TurnTooLarge, match=f"the limit is {MAX_ITEM_BYTES}"):
        table.commit(Commit(token="too-big", closes=[close], puts=[oversized]))
    assert "TransactWriteItems" not in calls.calls
    table.release(close)
    assert stub.count() == 1
