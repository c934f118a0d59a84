"""The storage API's semantics, exercised through real turns on moto-backed DynamoDB."""

from __future__ import annotations

from typing import Any

import pytest

from durable_agents.runtime import Env, InvalidKey, InvalidValue, ReadOnlyStorageError
from durable_agents.runtime.storage import HOT_ENTRY_BYTES, MAX_KEY_BYTES
from durable_agents.runtime.table import CHUNK_BYTES


def run(env: Env, ops: list[list[Any]], name: str = "s") -> list[Any]:
    return env.SCRATCH.get_by_name(name).run(ops)


def test_put_get_delete_persist_across_turns(env: Env) -> None:
    assert run(env, [["put", "a", {"x": 1}], ["get", "a"]]) == [None, {"x": 1}]
    assert run(env, [["get", "a"], ["get", "missing"]]) == [{"x": 1}, None]
    assert run(env, [["delete", "a"], ["delete", "a"], ["get", "a"]]) == [True, False, None]
    assert run(env, [["get", "a"]]) == [None]


def test_get_and_put_many(env: Env) -> None:
    run(env, [["put", {"k1": 1, "k2": [2], "k3": "three"}]])
    assert run(env, [["get", ["k1", "k3", "nope"]]]) == [{"k1": 1, "k3": "three"}]
    assert run(env, [["delete", ["k1", "k2", "nope"]]]) == [2]
    assert run(env, [["list"]]) == [[["k3", "three"]]]


def test_list_order_and_bounds(env: Env) -> None:
    keys = ["b", "a", "c:2", "c:1", "c:10", "d", "é", "Z"]
    run(env, [["put", {k: k.upper() for k in keys}]])
    ordered = sorted(keys)  # code-point order == UTF-8 byte order
    assert [k for k, _ in run(env, [["list"]])[0]] == ordered
    assert [k for k, _ in run(env, [["list", {"prefix": "c:"}]])[0]] == ["c:1", "c:10", "c:2"]
    assert [k for k, _ in run(env, [["list", {"start": "b", "end": "d"}]])[0]] == ["b", "c:1", "c:10", "c:2"]
    assert [k for k, _ in run(env, [["list", {"reverse": True, "limit": 3}]])[0]] == ordered[::-1][:3]
    assert [k for k, _ in run(env, [["list", {"limit": 0}]])[0]] == []
    # the turn's own writes and deletes are visible to its reads
    assert [k for k, _ in run(env, [["delete", "a"], ["put", "aa", 1], ["list", {"end": "b"}]])[2]] == [
        "Z",
        "aa",
    ]


def test_failed_turn_commits_nothing(env: Env) -> None:
    run(env, [["put", "kept", 1]])
    with pytest.raises(RuntimeError, match="script failed"):
        run(env, [["put", "kept", 2], ["put", "new", 3], ["append", "entry"], ["raise"]])
    assert run(env, [["get", "kept"], ["get", "new"], ["len"]]) == [1, None, 0]


def test_transaction_rollback_and_commit(env: Env) -> None:
    result = run(env, [["put", "a", 1], ["txn_fail", "a", 99], ["get", "a"], ["len"], ["txn_ok", "b", 2]])
    assert result == [None, "rolled back", 1, 0, "committed"]
    assert run(env, [["get", ["a", "b"]]]) == [{"a": 1, "b": 2}]


@pytest.mark.parametrize(
    "key, message",
    [("", "must not be empty"), ("k" * (MAX_KEY_BYTES + 1), "at most"), (5, "strings"), (None, "strings")],
)
def test_bad_keys_rejected_and_nothing_written(env: Env, key: Any, message: str) -> None:
    run(env, [["put", "safe", 1]])
    with pytest.raises(InvalidKey, match=message):
        run(env, [["put", "other", 2], ["put", key, 1]])
    assert run(env, [["list"]]) == [[["safe", 1]]]


def test_multibyte_key_length_counts_bytes(env: Env) -> None:
    ok = "é" * (MAX_KEY_BYTES // 2)
    run(env, [["put", ok, 1]])
    with pytest.raises(InvalidKey):
        run(env, [["put", ok + "é", 1]])


def test_bad_values_rejected(env: Env) -> None:
    stub = env.COUNTER.get_by_name("v")
    with pytest.raises(InvalidValue, match="JSON"):
        stub.put_many({"nan": float("nan")})
    assert stub.get("nan") is None


def test_large_values_spread_over_items(env: Env, dynamodb: Any) -> None:
    big = "x" * (CHUNK_BYTES * 2 + 100)  # three chunks
    medium = {"blob": "y" * (HOT_ENTRY_BYTES + 1)}
    run(env, [["put", "big", big], ["put", "medium", medium], ["put", "small", 1]])
    assert run(env, [["get", "big"], ["get", "medium"], ["list", {"prefix": "s"}]]) == [
        big,
        medium,
        [["small", 1]],
    ]
    items = dynamodb.scan(TableName="state-test")["Items"]
    assert all(len(str(item)) < 400_000 for item in items)
    assert sum("#C#big#" in item["sk"]["S"] for item in items) == 2
    # shrinking a large value the turn has read removes its chunk items
    run(env, [["get", "big"], ["put", "big", "now small"], ["delete", "medium"]])
    items = dynamodb.scan(TableName="state-test")["Items"]
    assert not [i for i in items if "#C#" in i["sk"]["S"] or i["sk"]["S"].endswith("#K#medium")]
    assert run(env, [["get", "big"], ["get", "medium"]]) == ["now small", None]
    # a blind overwrite (no read first) leaves the old chunks unread: the value is the new one
    run(env, [["put", "big", big]])
    run(env, [["put", "big", "small again"]])
    assert run(env, [["get", "big"], ["list", {"prefix": "b"}]]) == ["small again", [["big", "small again"]]]


def test_history_append_and_list(env: Env) -> None:
    run(env, [["append", {"n": i}] for i in range(1, 31)])
    assert run(env, [["len"]]) == [30]
    assert run(env, [["history", {"start": 5, "end": 8}]]) == [[[5, {"n": 5}], [6, {"n": 6}], [7, {"n": 7}]]]
    assert run(env, [["history", {"reverse": True, "limit": 2}]]) == [[[30, {"n": 30}], [29, {"n": 29}]]]
    assert env.COUNTER.get_by_name("h").append(["a", "b"]) == 2


def test_delete_all_wipes_keys_and_history(env: Env, dynamodb: Any) -> None:
    run(env, [["put", "a", 1], ["put", "big", "z" * (HOT_ENTRY_BYTES * 2)], ["append", "old"]])
    assert run(env, [["delete_all"], ["put", "after", 2], ["list"], ["len"]]) == [
        None,
        None,
        [["after", 2]],
        0,
    ]
    assert run(env, [["list"], ["len"], ["history"]]) == [[["after", 2]], 0, []]
    assert run(env, [["append", "new"], ["history"]]) == [1, [[1, "new"]]]
    markers = [i for i in dynamodb.scan(TableName="state-test")["Items"] if i["sk"]["S"].startswith("PURGE#")]
    assert len(markers) == 1


def test_read_only_methods_take_no_lease_and_cannot_write(env: Env, round_trips: Any) -> None:
    stub = env.COUNTER.get_by_name("ro")
    stub.increment()
    round_trips.reset()
    assert stub.count() == 1
    assert dict(round_trips.calls) == {"GetItem": 1}
    with pytest.raises(ReadOnlyStorageError):
        stub.sneaky_write()


def test_pydantic_values_stored_as_data(env: Env) -> None:
    stub = env.COUNTER.get_by_name("p")
    stub.increment(by=4, who="ann")
    assert stub.get("tally") == {"count": 4, "last_by": "ann"}
