"""Key claims (:mod:`durable_agents.runtime.claims`): one key, one request, across the objects that claim
it in a third one, with one conditional ``PutItem`` beside the call's acquire. In process, on moto."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from durable_agents.agents.factory import AgentFactory, session_key
from durable_agents.runtime import Env, IdempotencyKeyReused, KeyClaim, ObjectBusy, clock
from durable_agents.runtime.claims import claim
from tests.support.agents import agents_env, chat
from tests.support.faults import FaultInjector
from tests.support.sessions import remnants


@pytest.fixture
def env(dynamodb: Any) -> Env:
    return agents_env(dynamodb)


def key_claim(env: Env, fingerprint: str, key: str = "alice:k1", user: str = "alice") -> KeyClaim:
    manager = AgentFactory(env).session_manager(user).id
    assert manager.name is not None
    return KeyClaim(namespace=manager.namespace, name=manager.name, key=key, fingerprint=fingerprint)


def route(env: Env, text: str, session: str, wanted: KeyClaim | None) -> dict[str, Any]:
    msg = chat(text, session=session)
    conversation = AgentFactory(env).conversation(session_key("alice", session))
    answer: dict[str, Any] = conversation.call(
        "route_message", msg, idempotency_key=f"turn:{session}:{msg.id}", fingerprint=text, claim=wanted
    )
    return answer


def test_a_claim_whose_response_was_lost_is_recognised_as_its_own(env: Env, dynamodb: Any) -> None:
    with FaultInjector(dynamodb) as faults:
        faults.add("lost_response", operations=["PutItem"], times=1)
        claim(env, key_claim(env, "request-a"))  # the re-sent PutItem meets its own claim: no conflict
        assert faults.total == 1
    claim(env, key_claim(env, "request-a"))  # a retry of the same request passes too
    with pytest.raises(IdempotencyKeyReused):
        claim(env, key_claim(env, "request-b"))
    claim(env, key_claim(env, "request-b", key="alice:k2"))  # another key is another claim


def test_a_turn_whose_claim_lost_its_response_runs_once(env: Env, dynamodb: Any) -> None:
    route(env, "Plan a trip to Kyoto", "s1", None)
    with FaultInjector(dynamodb) as faults:
        faults.add("lost_response", operations=["PutItem"], times=1)
        answer = route(env, "from Osaka, 3 days in April", "s1", key_claim(env, "second"))
        assert faults.total == 1
    assert answer["type"] != "error"
    assert remnants(env.table, env, "alice", "s1")["conversation"]["history"] == 4


def test_a_key_claimed_by_another_request_runs_nothing_and_holds_no_lease(env: Env, dynamodb: Any) -> None:
    route(env, "Plan a trip to Kyoto", "s1", key_claim(env, "on s1"))
    with pytest.raises(IdempotencyKeyReused):
        route(env, "Plan a trip to Porto", "s2", key_claim(env, "on s2"))
    assert remnants(env.table, env, "alice", "s2") == {}
    conversation = AgentFactory(env).conversation(session_key("alice", "s2"))
    item = dynamodb.get_item(
        TableName=env.settings.state_table,
        Key={"pk": {"S": conversation.id.key}, "sk": {"S": "STATE"}},
        ConsistentRead=True,
    ).get("Item", {})
    assert "owner" not in item  # the lease taken beside the claim was given back
    route(env, "Plan a trip to Porto", "s2", key_claim(env, "on s2", key="alice:k2"))
    assert remnants(env.table, env, "alice", "s2")["conversation"]["history"] == 2


def test_the_claim_goes_out_beside_the_acquire(env: Env, dynamodb: Any) -> None:
    route(env, "Plan a trip to Kyoto", "s1", None)
    puts: list[str] = []

    def seen(params: dict[str, Any], **_: Any) -> None:
        puts.append(threading.current_thread().name)

    dynamodb.meta.events.register("provide-client-params.dynamodb.PutItem", seen)
    try:
        route(env, "from Osaka, 3 days in April", "s1", key_claim(env, "second"))
    finally:
        dynamodb.meta.events.unregister("provide-client-params.dynamodb.PutItem", seen)
    assert puts and all(name.startswith("durable-beside") for name in puts), puts


def test_a_key_claimed_by_another_request_is_refused_even_when_the_object_is_busy(dynamodb: Any) -> None:
    env = agents_env(dynamodb, busy_wait_seconds=0.2)
    route(env, "Plan a trip to Kyoto", "s1", key_claim(env, "on s1"))
    conversation = AgentFactory(env).conversation(session_key("alice", "s2"))
    now = clock.now_ms()
    pk = conversation.id.key
    env.table.acquire(pk, owner="someone", until=now + 60_000, now=now, expires_at=now // 1000)
    with pytest.raises(IdempotencyKeyReused):  # the lasting answer, not "busy, retry"
        route(env, "Plan a trip to Porto", "s2", key_claim(env, "on s2"))
    with pytest.raises(ObjectBusy):  # a key of its own waits for the lease as ever
        route(env, "Plan a trip to Porto", "s2", key_claim(env, "on s2", key="alice:k2"))
