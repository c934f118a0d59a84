"""What a turn costs and what it guarantees, priced by the capacity meter (devstack/capacity.py) with
DynamoDB's billing rules: a turn pays for what it changes, never for what the object holds; waiting
costs reads; exactly-once holds for the whole idempotency window; a commit whose response was lost is
recognised however many turns committed after it; no item is left without a TTL; and object code can
fence its writes to other stores.
"""

from __future__ import annotations

import json
import secrets
import statistics
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.capacity import CapacityMeter, Totals
from durable_agents.runtime import DurableObject, Env, IdempotencyKeyReused, LeaseLost, clock, rpc
from durable_agents.runtime.aws import client_config
from durable_agents.runtime.sizes import item_size
from durable_agents.runtime.table import STATE_ITEM_BYTES, STATE_SK
from tests.conftest import TABLE, make_env
from tests.support.objects import Counter


class Bulk(DurableObject):
    """Grows an object: many keys, a large value, a long history (bound as COUNTER in a second Env)."""

    @rpc
    def keys(self, start: int, count: int) -> None:
        self.storage.put({f"key-{i:06d}": {"i": i, "pad": "p" * 24} for i in range(start, start + count)})

    @rpc
    def big(self, size: int) -> None:
        self.storage.put("untouched", "u" * size)

    @rpc
    def history(self, count: int) -> None:
        for i in range(count):
            self.storage.history.append({"seed": i})

    @rpc
    def listed(self, prefix: str | None = None, limit: int | None = None, reverse: bool = False) -> list[str]:
        return list(self.storage.list(prefix=prefix, limit=limit, reverse=reverse))

    @rpc
    def wipe(self) -> None:
        self.storage.delete_all()


@pytest.fixture(scope="module")
def meter() -> CapacityMeter:
    return CapacityMeter.install()


def bulk(env: Env) -> Env:
    """An Env over the same table whose COUNTER objects are :class:`Bulk` (same ids, same items)."""
    return Env(env.settings, {"COUNTER": f"{__name__}:Bulk"}, dynamodb=env.table.client)


def grow(env: Env, name: str, *, keys: int = 0, history: int = 0, big: int = 0) -> None:
    stub = bulk(env).COUNTER.get_by_name(name)
    for start in range(0, keys, 90):
        stub.keys(start, min(90, keys - start))
    for start in range(0, history, 500):
        stub.history(min(500, history - start))
    if big:
        stub.big(big)


def measure(meter: CapacityMeter, client: Any, call: Any) -> tuple[Totals, Any]:
    with meter.measure() as totals, CapacityMeter.client_steps(client) as steps:
        call()
    totals.steps = steps.steps  # type: ignore[attr-defined]
    totals.sent = steps.requests  # type: ignore[attr-defined]
    return totals, steps


# --- a turn pays for what it changes -----------------------------------------------------------------------


def test_a_counter_turn_on_a_big_object_costs_a_small_constant(
    env: Env, dynamodb: Any, meter: CapacityMeter
) -> None:
    stub = env.COUNTER.get_by_name("big-object")
    grow(env, "big-object", keys=1_000, history=10_000, big=100_000)
    stub.increment()  # the tally's first write (a read finds no item: it joins the hot set)
    turns = [measure(meter, dynamodb, stub.increment)[0] for _ in range(25)]
    assert max(t.wcu for t in turns) <= 3, [t.wcu for t in turns]
    assert max(t.rcu for t in turns) <= 1, [t.rcu for t in turns]
    assert statistics.median(t.steps for t in turns) == 2  # type: ignore[attr-defined]
    assert max(t.steps for t in turns) <= 3  # type: ignore[attr-defined]  # the tail's page, now and then
    assert stub.count() == 26
    state = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": stub.id.key}, "sk": {"S": STATE_SK}})["Item"]
    assert item_size(state) <= STATE_ITEM_BYTES


def test_a_waiters_failed_acquire_costs_one_write_and_waiting_costs_reads(
    env: Env, dynamodb: Any, meter: CapacityMeter
) -> None:
    grow(env, "waited-on", keys=300, history=2_000, big=100_000)
    holder = env.COUNTER.get_by_name("waited-on")
    waiter = make_env(dynamodb, busy_wait_seconds=10).COUNTER.get_by_name("waited-on")
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    try:
        thread = threading.Thread(target=lambda: holder.noop(wait=10))
        thread.start()
        assert Counter.holding.wait(5)
        released = threading.Timer(0.6, Counter.stall.set)
        released.start()
        with meter.measure() as waiting:
            assert waiter.increment() == 1  # it waited for the lease, then ran
        thread.join(5)
    finally:
        Counter.stall = Counter.holding = None
    failed = [r for r in waiting.requests if r.operation == "UpdateItem" and r.failed]
    assert failed and all(r.wcu == 1 for r in failed)
    assert len(failed) <= 3  # polls (reads) tell the waiter when to try again: few failed writes
    polls = [r for r in waiting.requests if r.operation == "GetItem"]
    assert len(polls) >= 2 and all(r.wcu == 0 and r.rcu == 1 for r in polls)


@pytest.mark.parametrize("length", [10, 1_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_a_turns_cost_is_flat_in_history_length(
    env: Env, dynamodb: Any, meter: CapacityMeter, length: int
) -> None:
    stub = env.COUNTER.get_by_name(f"history-{length}")
    grow(env, f"history-{length}", history=length)
    stub.increment()
    turns = [measure(meter, dynamodb, stub.increment)[0] for _ in range(5)]
    assert [t.wcu for t in turns] == [2.0] * 5  # acquire + commit, 1 WCU each, whatever the length
    assert all(t.rcu <= 1 for t in turns)
    entries = stub.recent(length + 6)
    assert len(entries) == length + 6 and entries[-1] == {"by": 1, "who": ""}


def seed_keys(env: Env, name: str, count: int) -> None:
    """Give object ``name`` ``count`` keys as if turns had written them: their value items (the layout's
    own item builder, put straight into moto's table) and the STATE item's key filter saying every key
    may have one. Exactly the items those turns would leave, without ``count / 90`` turns on moto."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    from durable_agents.runtime.keyfilter import KeyFilter
    from durable_agents.runtime.table import value_items

    stub = env.COUNTER.get_by_name(name)
    stub.noop()  # the STATE item, with its generation
    gen = env.table.peek(stub.id.key).gen
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    owned = KeyFilter()
    for i in range(count):
        key = f"key-{i:06d}"
        owned.add([key])
        for item in value_items(
            stub.id.key, gen, key, json.dumps({"i": i, "pad": "p" * 24}, separators=(",", ":")), 1
        ):
            backend.put_item(TABLE, item)
    env.table.client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": stub.id.key}, "sk": {"S": STATE_SK}},
        UpdateExpression="SET own = :own",
        ExpressionAttributeValues={":own": {"B": owned.to_bytes()}},
    )


def test_the_keys_turns_write_are_listed_by_pages(env: Env, meter: CapacityMeter) -> None:
    grow(env, "listed", keys=2_000)
    stub = bulk(env).COUNTER.get_by_name("listed")
    assert stub.listed("key-000") == [f"key-{i:06d}" for i in range(1_000)]
    assert stub.listed(None, 5, True) == [f"key-{i:06d}" for i in range(1_999, 1_994, -1)]
    with meter.measure() as page:
        assert stub.listed("key-", 25) == [f"key-{i:06d}" for i in range(25)]
    assert page.rcu <= 2  # a page of items, not the object


@pytest.mark.parametrize("count", [2_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_an_object_holds_many_keys_and_wipes_them_at_once(
    env: Env, dynamodb: Any, meter: CapacityMeter, count: int
) -> None:
    """2,000 keys in ``make test``, 100,000 in ``make test-slow``: the same turn, page and wipe costs."""
    name = "many-keys"
    seed_keys(env, name, count)
    stub = bulk(env).COUNTER.get_by_name(name)
    counter = env.COUNTER.get_by_name(name)
    counter.increment()
    with meter.measure() as turn:
        counter.increment()
    assert turn.wcu <= 3 and turn.rcu <= 1  # the keys cost a turn nothing
    with meter.measure() as first_page:
        assert stub.listed("key-", 25) == [f"key-{i:06d}" for i in range(25)]
    assert first_page.rcu <= 2
    last_hundred = f"key-{count // 100 - 1:04d}"  # key-0999 for 100,000 keys: key-099900 to key-099999
    assert stub.listed(last_hundred) == [f"key-{i:06d}" for i in range(count - 100, count)]
    assert stub.listed(None, 3, True) == ["tally", f"key-{count - 1:06d}", f"key-{count - 2:06d}"]
    with meter.measure() as wiped:
        stub.wipe()
    assert wiped.wcu <= 5  # acquire + a new generation and its purge marker: O(1), whatever the object holds
    assert stub.listed() == [] and counter.count() == 0


# --- exactly once, for the whole window -----------------------------------------------------------------


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The runtime's clock, moved forward by the test (``offset[0]`` seconds ahead of real time)."""
    import time

    offset = [0.0]
    monkeypatch.setattr(clock, "source", lambda: time.time() + offset[0])
    yield offset


def test_a_keyed_call_is_answered_from_its_record_two_hundred_calls_and_23_hours_later(
    env: Env, moved_clock: list[float]
) -> None:
    stub = env.COUNTER.get_by_name("day-long")
    first = stub.call("increment", by=5, who="once", idempotency_key="the-key")
    for i in range(200):
        stub.call("increment", by=1, who=f"other-{i}", idempotency_key=f"other-{i}")
    moved_clock[0] = 23 * 3600
    assert stub.call("increment", by=5, who="once", idempotency_key="the-key") == first == 5
    assert stub.count() == 205
    assert sum(1 for entry in stub.recent(300) if entry["who"] == "once") == 1
    moved_clock[0] = 25 * 3600  # past the day: the key is free again
    assert stub.call("increment", by=5, who="once", idempotency_key="the-key") == 210


def test_the_window_is_a_setting_per_binding(dynamodb: Any, moved_clock: list[float]) -> None:
    env = make_env(dynamodb, idempotency_hours="COUNTER=48,*=1")
    stub = env.COUNTER.get_by_name("two-days")
    assert stub.call("increment", idempotency_key="k") == 1
    moved_clock[0] = 47 * 3600
    assert stub.call("increment", idempotency_key="k") == 1
    assert stub.count() == 1


def test_the_same_key_with_another_request_is_refused_and_runs_nothing(env: Env) -> None:
    stub = env.COUNTER.get_by_name("reused")
    assert stub.call("increment", by=2, idempotency_key="k1") == 2
    with pytest.raises(IdempotencyKeyReused):
        stub.call("increment", by=3, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyReused):
        stub.call("put_many", {"a": 1}, idempotency_key="k1")
    assert stub.count() == 2 and stub.get("a") is None
    assert len(stub.recent(10)) == 1


def test_a_large_response_is_replayed_whole(env: Env) -> None:
    stub = env.COUNTER.get_by_name("large-response")
    huge = "r" * 900_000
    stub.put_many({"huge": huge})
    assert stub.call("get", "huge", idempotency_key="big-answer") == huge
    stub.put_many({"huge": "changed"})
    assert stub.call("get", "huge", idempotency_key="big-answer") == huge  # the recorded response
    noise = secrets.token_urlsafe(700_000)  # ~930 KB that do not compress below a chunk: several items
    stub.put_many({"noise": noise})
    assert stub.call("get", "noise", idempotency_key="noisy-answer") == noise
    stub.put_many({"noise": "changed"})
    assert stub.call("get", "noise", idempotency_key="noisy-answer") == noise


def test_concurrent_calls_with_one_key_apply_once(env: Env) -> None:
    stub = env.COUNTER.get_by_name("racing-key")
    start = threading.Barrier(6)

    def call(_: int) -> int:
        start.wait()
        return stub.call("increment", by=10, idempotency_key="same")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stub.count() == 10 and len(stub.recent(10)) == 1


# --- a commit whose response was lost, after other turns committed ---------------------------------------


def elsewhere(call: Any) -> None:
    """Run ``call`` as another caller would: on a thread of its own, outside this turn's context."""
    thread = threading.Thread(target=call)
    thread.start()
    thread.join(30)


def _lose_first_response_then_let_others_commit(
    monkeypatch: pytest.MonkeyPatch, client: Any, operation: str, others: Any
) -> list[int]:
    """Patch ``client.<operation>``: the first commit lands, then ``others()`` commit turns of their own,
    then the same request is sent again (botocore's retry after a lost response) and meets their state."""
    real = getattr(client, operation)
    lost: list[int] = []

    def lossy(*args: Any, **kwargs: Any) -> Any:
        is_commit = "TransactItems" in kwargs or "seq = :seq" in str(kwargs.get("UpdateExpression", ""))
        if is_commit and not lost:
            lost.append(1)
            real(*args, **kwargs)  # lands; its answer never arrives
            elsewhere(others)
        return real(*args, **kwargs)

    monkeypatch.setattr(client, operation, lossy)
    return lost


@pytest.mark.parametrize("operation", ["update_item", "transact_write_items"])
def test_a_lost_commit_response_is_recognised_even_after_other_turns_committed(
    env: Env, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, operation: str
) -> None:
    stub = env.COUNTER.get_by_name(f"lost-{operation}")
    stub.increment(who="first")
    other_client = boto3.client("dynamodb", region_name="us-east-1", config=client_config())
    rivals = make_env(other_client).COUNTER.get_by_name(f"lost-{operation}")
    lost = _lose_first_response_then_let_others_commit(
        monkeypatch, dynamodb, operation, lambda: [rivals.increment(who=f"rival-{i}") for i in range(5)]
    )
    if operation == "update_item":
        assert stub.increment(who="lost") == 2  # told the truth: it landed
    else:
        assert stub.call("increment", who="lost", idempotency_key="keyed") == 2  # keyed: a transaction
    assert lost
    monkeypatch.undo()
    assert stub.count() == 7
    assert [e["who"] for e in stub.recent(10)] == ["first", "lost"] + [f"rival-{i}" for i in range(5)]


def test_a_lost_commit_response_after_a_takeover_is_not_reported_as_applied(
    env: Env, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, moved_clock: list[float]
) -> None:
    """The other side: the first attempt did NOT land (it was refused: the lease had been taken over),
    and later turns committed; the holder is told LeaseLost, never success."""
    stub = env.COUNTER.get_by_name("taken-over")
    stub.increment(who="first")
    other_client = boto3.client("dynamodb", region_name="us-east-1", config=client_config())
    rivals = make_env(other_client).COUNTER.get_by_name("taken-over")
    real = dynamodb.update_item

    def late(*args: Any, **kwargs: Any) -> Any:
        if "seq = :seq" in str(kwargs.get("UpdateExpression", "")) and not moved_clock[0]:
            moved_clock[0] += 60  # this holder stalls past its lease; rivals take over and commit
            elsewhere(lambda: [rivals.increment(who=f"rival-{i}") for i in range(3)])
        return real(*args, **kwargs)

    monkeypatch.setattr(dynamodb, "update_item", late)
    with pytest.raises(LeaseLost):
        stub.increment(who="stale")
    monkeypatch.undo()
    assert [e["who"] for e in stub.recent(10)] == ["first", "rival-0", "rival-1", "rival-2"]


# --- nothing without a TTL ---------------------------------------------------------------------------------


def test_a_failed_or_refused_first_turn_leaves_only_items_that_expire(env: Env, dynamodb: Any) -> None:
    with pytest.raises(RuntimeError):
        env.COUNTER.get_by_name("fails-first").increment(fail=True)
    with pytest.raises(IdempotencyKeyReused):
        stub = env.COUNTER.get_by_name("refused-first")
        stub.call("noop", idempotency_key="k")
        stub.call("increment", idempotency_key="k")
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert items and all("expires_at" in item for item in items), [
        i["sk"] for i in items if "expires_at" not in i
    ]


# --- the fence for the world outside -----------------------------------------------------------------------


class FencedWriter(DurableObject):
    """Writes a value to ANOTHER table, conditioned on its fence being newer than the last one there
    (the README's example): a holder that lost its lease cannot overwrite a newer holder's write."""

    external: Any = None

    @rpc
    def publish(self, value: str, stall: bool = False) -> int:
        if stall and Counter.stall is not None:
            assert Counter.holding is not None
            Counter.holding.set()
            Counter.stall.wait(10)
        client = FencedWriter.external
        try:
            client.put_item(
                TableName="external",
                Item={"id": {"S": self.id.hex}, "value": {"S": value}, "fence": {"N": str(self.ctx.fence)}},
                ConditionExpression="attribute_not_exists(fence) OR fence < :fence",
                ExpressionAttributeValues={":fence": {"N": str(self.ctx.fence)}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            raise LeaseLost("a newer holder has written to the external table") from None
        return self.ctx.fence


def test_a_stale_holders_write_to_another_store_is_refused_by_the_fence(
    dynamodb: Any, moved_clock: list[float]
) -> None:
    dynamodb.create_table(
        TableName="external",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    FencedWriter.external = dynamodb
    env = Env(
        make_env(dynamodb, lease_seconds=1).settings,
        {"COUNTER": f"{__name__}:FencedWriter"},
        dynamodb=dynamodb,
    )
    stub = env.COUNTER.get_by_name("fenced")
    fences = [stub.publish("a"), stub.publish("b")]
    assert fences[1] > fences[0]  # every lease a newer fence
    Counter.stall, Counter.holding = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}
    try:
        stale = threading.Thread(
            target=lambda: outcome.setdefault("stale", _capture(lambda: stub.publish("stale", True)))
        )
        stale.start()
        assert Counter.holding.wait(5)
        moved_clock[0] += 5  # the stale holder's lease has run out
        assert stub.publish("new") > fences[1]
        Counter.stall.set()
        stale.join(5)
    finally:
        Counter.stall = Counter.holding = None
    assert isinstance(outcome["stale"], LeaseLost)
    item = dynamodb.get_item(TableName="external", Key={"id": {"S": stub.id.hex}})["Item"]
    assert item["value"]["S"] == "new"


def _capture(call: Any) -> Any:
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - the test inspects it
        return error
