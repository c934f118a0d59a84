"""Joined turns and keyed calls at the runtime's level (the agents use both; ``make mutate`` showed that
only the agents' tests noticed when they broke): each test fails when its check is weakened.

- a callee joined to a caller's turn (``stub.call(..., join=True)``) commits in the caller's commit,
  atomically, and its lease is given back by that commit: both objects change, or neither;
- a keyed call answered before runs nothing again (its record is read beside the acquire), even when
  it is joined to another turn.
"""

from __future__ import annotations

from typing import Any

import pytest

from durable_agents.runtime import DurableObject, Env, rpc
from tests.conftest import TABLE, RoundTrips, make_env


class Child(DurableObject):
    @rpc
    def add(self, item: str) -> int:
        items = self.storage.get("items") or []
        self.storage.put("items", [*items, item])
        self.storage.history.append({"added": item})
        return len(items) + 1

    @rpc(read_only=True)
    def items(self) -> list[str]:
        return list(self.storage.get("items") or [])


class Parent(DurableObject):
    runs = 0
    """How many times :meth:`relay` ran (in this process)."""

    @rpc
    def relay(self, child: str, item: str, fail: bool = False, key: str | None = None) -> int:
        Parent.runs += 1
        count = self.env.CHILD.get_by_name(child).call("add", item, join=True, idempotency_key=key)
        self.storage.put("last", item)
        if fail:
            raise RuntimeError("the caller failed after its joined call")
        return int(count)

    @rpc(read_only=True)
    def last(self) -> str | None:
        return self.storage.get("last")


BINDINGS = {"PARENT": f"{__name__}:Parent", "CHILD": f"{__name__}:Child"}


@pytest.fixture
def joined(dynamodb: Any) -> Env:
    return Env(make_env(dynamodb, busy_wait_seconds=0.3).settings, BINDINGS, dynamodb=dynamodb)


def held(dynamodb: Any, env: Env, binding: str, name: str) -> bool:
    key = env.namespace(binding).id_from_name(name).key
    item = dynamodb.get_item(
        TableName=TABLE, Key={"pk": {"S": key}, "sk": {"S": "STATE"}}, ConsistentRead=True
    )
    return "owner" in item.get("Item", {})


def test_a_joined_callee_commits_in_the_callers_commit_and_is_released_by_it(
    joined: Env, dynamodb: Any
) -> None:
    parent = joined.PARENT.get_by_name("p1")
    parent.relay("c1", "a")  # the objects' first turns
    calls = RoundTrips(dynamodb)
    assert parent.relay("c1", "b") == 2
    assert calls.calls["TransactWriteItems"] == 1  # one commit for both objects
    assert joined.CHILD.get_by_name("c1").items() == ["a", "b"] and parent.last() == "b"
    assert not held(dynamodb, joined, "CHILD", "c1") and not held(dynamodb, joined, "PARENT", "p1")
    assert joined.CHILD.get_by_name("c1").add("c") == 3  # free at once (a 0.3 s wait budget)


def test_a_caller_that_fails_after_its_joined_call_stores_neither(joined: Env, dynamodb: Any) -> None:
    parent = joined.PARENT.get_by_name("p2")
    parent.relay("c2", "a")
    with pytest.raises(RuntimeError, match="after its joined call"):
        parent.relay("c2", "b", fail=True)
    assert joined.CHILD.get_by_name("c2").items() == ["a"] and parent.last() == "a"
    assert not held(dynamodb, joined, "CHILD", "c2") and not held(dynamodb, joined, "PARENT", "p2")
    assert joined.CHILD.get_by_name("c2").add("c") == 2


def test_a_keyed_call_answered_before_runs_nothing_again(joined: Env) -> None:
    parent = joined.PARENT.get_by_name("p3")
    Parent.runs = 0
    assert parent.call("relay", "c3", "once", idempotency_key="k") == 1
    assert parent.call("relay", "c3", "once", idempotency_key="k") == 1
    assert Parent.runs == 1  # answered from its record: the method did not run a second time
    assert joined.CHILD.get_by_name("c3").items() == ["once"]


def test_a_joined_keyed_call_answered_before_is_not_applied_again(joined: Env) -> None:
    parent = joined.PARENT.get_by_name("p4")
    assert parent.relay("c4", "x", key="child-key") == 1
    assert parent.relay("c4", "x", key="child-key") == 1  # the child's record answers; nothing added
    assert joined.CHILD.get_by_name("c4").items() == ["x"]
