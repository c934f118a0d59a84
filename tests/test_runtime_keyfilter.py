"""The STATE item's key filter (``own``) is trusted only in the form the runtime writes.

A filter that says "certainly not" for a key that has a value item hides that value: the turn reads
``None`` and its next write of the key goes to the hot set beside the old item. These tests damage the
``own`` attribute by hand in the table (its base64 text, as a restore of the local stack once left it,
other lengths, present but empty, no bit set) and show that turns still read the existing value, that
the damage is logged with the object's key, and that the next commit writes a filter that is right.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

import pytest

from durable_agents.runtime import Env
from durable_agents.runtime.keyfilter import FILTER_BYTES, KeyFilter, not_written_here
from durable_agents.runtime.storage import HOT_ENTRY_BYTES
from durable_agents.runtime.table import STATE_SK
from tests.conftest import TABLE

BIG = {"text": "x" * (HOT_ENTRY_BYTES + 50)}
"""Too large for the hot set: it gets a value item of its own, found only through the filter."""


def state_key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": STATE_SK}}


def stored_filter(dynamodb: Any, pk: str) -> bytes | None:
    item = dynamodb.get_item(TableName=TABLE, Key=state_key(pk), ConsistentRead=True)["Item"]
    return bytes(item["own"]["B"]) if "own" in item else None


def damage_filter(dynamodb: Any, pk: str, data: bytes) -> None:
    dynamodb.update_item(
        TableName=TABLE,
        Key=state_key(pk),
        UpdateExpression="SET own = :own",
        ExpressionAttributeValues={":own": {"B": data}},
    )


def read_as_before(data: bytes) -> KeyFilter:
    """The filter as the runtime used to read any stored bytes: its first 64 bytes, as they are."""
    return KeyFilter(data[:FILTER_BYTES].ljust(FILTER_BYTES, b"\x00"))


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "its base64 text": lambda good: base64.b64encode(good),
    "two base64 layers": lambda good: base64.b64encode(base64.b64encode(good)),
    "one byte short": lambda good: good[:-1],
    "one byte long": lambda good: good + b"\x00",
    "empty": lambda good: b"",
    "no bit set": lambda good: bytes(FILTER_BYTES),
}
HIDING = {"its base64 text", "two base64 layers", "empty", "no bit set"}
"""The damages the runtime used to read as "trip certainly has no item"."""


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_filter_is_unknown_so_every_value_is_still_read(
    env: Env, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    stub = env.SCRATCH.get_by_name(f"damaged-{damage}")
    pk = stub.id.key
    assert stub.run([["put", "trip", BIG], ["put", "note", "small"]]) == [None, None]
    good = stored_filter(env.table.client, pk)
    assert good is not None and len(good) == FILTER_BYTES and KeyFilter(good).may_contain("trip")
    damaged = DAMAGE[damage](good)
    if damage in HIDING:  # what made this a data loss: read as before, the filter hid the value
        assert not read_as_before(damaged).may_contain("trip")
    damage_filter(env.table.client, pk, damaged)

    with caplog.at_level(logging.WARNING, logger="durable_agents.runtime.keyfilter"):
        assert stub.peek([["get", "trip"], ["get", "note"], ["get", "never"]]) == [BIG, "small", None]
        assert [key for key, _ in stub.peek([["list"]])[0]] == ["note", "trip"]
        assert stub.run([["get", "trip"], ["put", "later", 1]]) == [BIG, None]
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings and all(pk in message for message in warnings)
    assert f"{len(damaged)} bytes" in warnings[0] or "no bit set" in warnings[0]

    # the commit wrote a filter the runtime can have written, that says "maybe" for every key
    healed = stored_filter(env.table.client, pk)
    assert healed is not None and not_written_here(healed) is None
    assert KeyFilter(healed).may_contain("trip")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="durable_agents.runtime.keyfilter"):
        assert stub.run([["get", "trip"], ["get", "later"]]) == [BIG, 1]
    assert [record for record in caplog.records if record.levelno == logging.WARNING] == []


def test_a_small_write_after_damage_replaces_the_value_item_rather_than_shadowing_it(env: Env) -> None:
    """Written without a read first, a key the damaged filter took for absent went to the hot set while
    its old item stayed: two places for one key. Read as unknown, the write goes to the item."""
    stub = env.SCRATCH.get_by_name("shadowed")
    pk = stub.id.key
    stub.run([["put", "trip", BIG]])
    good = stored_filter(env.table.client, pk)
    assert good is not None
    damage_filter(env.table.client, pk, base64.b64encode(good))
    stub.run([["put", "trip", "small now"]])
    state = env.table.client.get_item(TableName=TABLE, Key=state_key(pk), ConsistentRead=True)["Item"]
    hot_keys = [entry["S"] for entry in state.get("kv", {}).get("L", [])][::2]
    assert "trip" not in hot_keys
    assert stub.run([["get", "trip"], ["delete", "trip"], ["get", "trip"]]) == ["small now", True, None]
    assert stub.peek([["get", "trip"], ["list"]]) == [None, []]


def test_the_filter_the_runtime_writes_is_trusted_and_an_absent_one_is_empty(
    caplog: pytest.LogCaptureFixture,
) -> None:
    written = KeyFilter()
    written.add(["a", "b"])
    with caplog.at_level(logging.WARNING, logger="durable_agents.runtime.keyfilter"):
        trusted = KeyFilter.stored(written.to_bytes(), owner="X#1")
        absent = KeyFilter.stored(None, owner="X#2")
    assert caplog.records == []
    assert trusted.to_bytes() == written.to_bytes()
    assert trusted.may_contain("a") and trusted.may_contain("b")
    assert absent.empty and not absent.may_contain("a")
    with caplog.at_level(logging.WARNING, logger="durable_agents.runtime.keyfilter"):
        unknown = KeyFilter.stored(written.to_bytes()[:-1], owner="X#3")
    assert unknown.to_bytes() == KeyFilter.full().to_bytes() and unknown.may_contain("anything")
    assert "X#3" in caplog.records[0].getMessage() and "63 bytes, not 64" in caplog.records[0].getMessage()


@pytest.mark.parametrize("size", [0, 1, FILTER_BYTES - 1, FILTER_BYTES + 1, 88])
def test_a_filter_is_made_only_of_its_own_size(size: int) -> None:
    if size == 0:
        assert KeyFilter(b"").empty
        return
    with pytest.raises(ValueError, match=f"not {size}"):
        KeyFilter(b"\x01" * size)
