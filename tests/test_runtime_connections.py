"""Live connections of objects (runtime/connections.py): accept and list by tag, the output gate
(posted only after the commit landed; a failed turn posts nothing), streamed parts marked provisional
and withdrawn when the turn fails, any turn sending (alarms too), 410 Gone removing a connection,
resuming with ``after`` (every event once, in order), and what it costs (capacity meter)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.capacity import CapacityMeter
from devstack.websocket_hub import Hub
from durable_agents.config import Settings
from durable_agents.runtime import Env, clock
from durable_agents.runtime.connections import CONNECTION_PREFIX, CONNECTION_TTL_SECONDS, LOG_SLOTS
from durable_agents.runtime.turn import run_alarm
from tests.conftest import TABLE, TEST_BINDINGS
from tests.support.live import Recorder, Witness, management_endpoint

BINDINGS = {**TEST_BINDINGS, "ROOM": "tests.support.live:Room"}


@pytest.fixture
def hub() -> Hub:
    return Hub()


@pytest.fixture
def live_env(dynamodb: Any, hub: Hub) -> Iterator[Env]:
    with management_endpoint(hub) as url:
        settings = Settings(state_table=TABLE, websocket_callback_url=url, busy_wait_seconds=5)
        yield Env(settings, BINDINGS, dynamodb=dynamodb)


def room(env: Env, name: str = "r1") -> Any:
    namespace = env.namespace("ROOM")
    return namespace.get(namespace.id_from_name(name))


def connection_items(dynamodb: Any, stub: Any) -> list[dict[str, Any]]:
    items = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        FilterExpression="contains(sk, :ws)",
        ExpressionAttributeValues={":pk": {"S": stub.id.key}, ":ws": {"S": CONNECTION_PREFIX}},
    )["Items"]
    return list(items)


def test_accepted_connections_are_listed_by_tag_and_expire_within_two_hours(
    live_env: Env, hub: Hub, dynamodb: Any
) -> None:
    stub = room(live_env)
    for connection, user in [("a", "u1"), ("b", "u2"), ("c", "u1")]:
        Recorder(hub, connection)
        stub.join(connection, user)
    assert stub.listed("user:u1") == ["a", "c"]
    assert stub.listed("user:u2") == ["b"]
    assert stub.listed() == ["a", "b", "c"]
    now = clock.now_s()
    for item in connection_items(dynamodb, stub):
        assert now < int(item["expires_at"]["N"]) <= now + CONNECTION_TTL_SECONDS + 1


def test_a_broadcast_is_posted_after_its_commit_and_only_to_its_tag(live_env: Env, hub: Hub) -> None:
    stub = room(live_env)
    alice = Witness(hub, "a", stub.last)
    bob = Recorder(hub, "b")
    stub.join("a", "alice")
    stub.join("b", "bob")
    assert stub.say("hello") == 1
    assert stub.say("just alice", tag="user:alice") == 2
    assert [(m["type"], m["seq"], m["text"]) for m in alice.messages] == [
        ("turn", 1, "hello"),
        ("turn", 2, "just alice"),
    ]
    # when each message arrived, the value the same turn wrote was already committed
    assert alice.seen_committed == ["hello", "just alice"]
    assert [m["text"] for m in bob.messages] == ["hello"]


def test_a_failed_turn_posts_nothing_and_takes_no_seq(live_env: Env, hub: Hub) -> None:
    stub = room(live_env)
    client = Recorder(hub, "a")
    stub.join("a", "u1")
    with pytest.raises(Exception, match="refused after broadcasting"):
        stub.say("never", fail=True)
    assert client.messages == []
    assert stub.last() is None
    assert stub.say("next") == 1  # the failed turn's seq was never used
    assert [m["text"] for m in client.messages] == ["next"]


def test_streamed_parts_go_out_before_the_commit_marked_provisional_and_the_turn_confirms_them(
    live_env: Env, hub: Hub
) -> None:
    stub = room(live_env)
    client = Witness(hub, "a", stub.last)
    stub.join("a", "u1")
    stub.say("first")
    assert stub.streamed(["Hel", "lo"]) == 2
    streamed = [m for m in client.messages if m.get("provisional")]
    assert [(m["type"], m["seq"], m["text"]) for m in streamed] == [("text", 2, "Hel"), ("text", 2, "lo")]
    committed = client.messages[-1]
    assert (committed["type"], committed["seq"], committed["text"]) == ("turn", 2, "Hello")
    assert "provisional" not in committed


def test_parts_streamed_by_a_turn_that_fails_are_withdrawn(live_env: Env, hub: Hub) -> None:
    stub = room(live_env)
    client = Recorder(hub, "a")
    stub.join("a", "u1")
    with pytest.raises(Exception, match="mid-stream"):
        stub.streamed(["Hel", "lo"], fail=True)
    assert [(m["type"], m["seq"]) for m in client.messages] == [("text", 1), ("text", 1), ("withdrawn", 1)]
    assert all(m.get("provisional") for m in client.messages[:2])
    assert stub.say("then") == 1  # nothing of the failed turn was committed


def test_a_gone_connection_is_removed_when_a_post_answers_410(live_env: Env, hub: Hub, dynamodb: Any) -> None:
    stub = room(live_env)
    Recorder(hub, "here")
    stub.join("here", "u1")
    stub.join("gone", "u1")  # accepted, but no socket behind it any more
    assert stub.listed() == ["gone", "here"]
    stub.say("anyone?")
    assert stub.listed() == ["here"]
    assert [item["sk"]["S"].split("#", 1)[1] for item in connection_items(dynamodb, stub)] == [
        f"{CONNECTION_PREFIX}here"
    ]


def test_an_alarm_turn_broadcasts_and_a_failed_alarm_posts_nothing(
    live_env: Env, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = room(live_env)
    client = Recorder(hub, "a")
    stub.join("a", "u1")
    stub.remind_at(clock.now_ms() - 1, "pack your bags")
    assert run_alarm(live_env, stub.id) == "fired"
    assert [(m["type"], m["seq"], m["text"]) for m in client.messages] == [("push", 1, "pack your bags")]
    stub.fail_alarms()
    stub.remind_at(clock.now_ms() - 1, "never")
    assert run_alarm(live_env, stub.id) == "retry"
    assert len(client.messages) == 1


def test_a_client_resuming_after_a_seq_gets_every_missed_event_once_in_order(live_env: Env, hub: Hub) -> None:
    stub = room(live_env)
    first = Recorder(hub, "first")
    stub.join("first", "u1")
    for i in range(5):
        stub.say(f"m{i}")
    seen = [m["seq"] for m in first.messages][:2]  # the client dropped after seq 2
    for i in range(5, 8):
        stub.say(f"m{i}")  # said while it was away
    again = Recorder(hub, "again")
    assert stub.join("again", "u1", after=seen[-1]) == {"missed": 6, "complete": True}
    assert [(m["seq"], m["text"]) for m in again.messages] == [(s, f"m{s - 1}") for s in range(3, 9)]
    stub.say("live")
    assert [m["seq"] for m in again.messages] == [3, 4, 5, 6, 7, 8, 9]


def test_a_client_too_far_behind_is_told_the_log_is_incomplete(live_env: Env, hub: Hub) -> None:
    stub = room(live_env)
    for i in range(LOG_SLOTS + 3):
        stub.say(f"m{i}")
    Recorder(hub, "late")
    result = stub.join("late", "u1", after=1)
    assert result["complete"] is False


def test_streaming_adds_no_write_per_part_and_a_broadcast_at_most_2_wcu(live_env: Env, hub: Hub) -> None:
    meter = CapacityMeter.install()
    stub = room(live_env)
    Recorder(hub, "a")
    stub.join("a", "u1")
    stub.say("warm up")
    answer = "Day 1: the Louvre, then a walk along the Seine. " * 20  # about 1 KB, as a chat answer
    with meter.measure() as one_part:
        stub.streamed([answer])
    with meter.measure() as many_parts:
        stub.streamed([answer[i : i + 20] for i in range(0, len(answer), 20)])  # 50 parts
    assert many_parts.wcu == one_part.wcu
    with meter.measure() as without:
        stub.put_only(answer)
    with meter.measure() as with_broadcast:
        stub.say(answer)
    assert with_broadcast.wcu - without.wcu <= 2, (without.by_operation(), with_broadcast.by_operation())


def test_an_erased_object_keeps_neither_its_connections_nor_its_event_log(
    live_env: Env, hub: Hub, dynamodb: Any
) -> None:
    """Connections and the log live in the object's generation: ``delete_all`` and the reaper take them."""
    stub = room(live_env)
    Recorder(hub, "a")
    stub.join("a", "u1")
    stub.say("a private message")
    everything = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": stub.id.key}},
    )["Items"]
    assert {item["sk"]["S"].split("#")[1] for item in everything if "#" in item["sk"]["S"]} >= {"WS", "EV"}
    old = stub.wipe()
    assert live_env.table.purge(stub.id.key, up_to_gen=old) >= 2
    left = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": stub.id.key}},
    )["Items"]
    assert not [item for item in left if "#WS#" in item["sk"]["S"] or "#EV#" in item["sk"]["S"]]
    assert stub.listed() == []
