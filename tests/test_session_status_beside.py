"""The session's status is read beside a conversation turn's acquire, in parallel, and trusted only as
far as the conversation record validates it: a stale read never resurrects an erased session and never
wipes a live one. In process, on moto."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from durable_agents.agents.conversation import ConversationManager
from durable_agents.agents.factory import KINDS, AgentFactory, object_name, session_key
from durable_agents.runtime import Env
from durable_agents.runtime.table import StateTable
from tests.support.agents import agents_env
from tests.support.sessions import remnants, stored_text
from tests.support.stack import stored_view
from tests.test_session_erasure import listed, route, trip


@pytest.fixture
def env(dynamodb: Any) -> Env:
    return agents_env(dynamodb)


def conversation_record(env: Env, session: str, user: str = "alice") -> dict[str, Any]:
    object_id = env.namespace(KINDS["conversation"].binding).id_from_name(
        object_name("conversation", session_key(user, session))
    )
    storage, _ = stored_view(env.table, object_id.key)
    record: dict[str, Any] = storage.get("conversation") or {}
    return record


def read_beside(monkeypatch: pytest.MonkeyPatch, status: dict[str, Any]) -> None:
    """Make every routed turn's read beside its acquire answer ``status`` (a stale read)."""

    def stale(
        cls: type, env: Env, method: str, args: list[Any], kwargs: Mapping[str, Any]
    ) -> Callable[[], dict[str, Any]]:
        return lambda: dict(status)

    monkeypatch.setattr(ConversationManager, "beside_acquire", classmethod(stale))


def test_a_steady_turn_reads_the_session_status_beside_its_acquire_not_after_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    trip(env, "s1")
    manager_pk = AgentFactory(env).session_manager("alice").id.key
    threads: list[str] = []
    peek = StateTable.peek

    def watched(self: StateTable, pk: str) -> Any:
        if pk == manager_pk:
            threads.append(threading.current_thread().name)
        return peek(self, pk)

    monkeypatch.setattr(StateTable, "peek", watched)
    route(env, "hotels please", "s1")
    assert threads and all(name.startswith("durable-beside") for name in threads), threads


def test_a_stale_live_read_beside_the_acquire_never_resurrects_an_erased_session(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    trip(env, "s1")
    factory = AgentFactory(env)
    manager = factory.session_manager("alice")
    before = manager.session_status("s1")
    assert before["live"] and before["incarnation"]
    # the read beside the next turn's acquire lands, then the DELETE ends and erases the session
    read_beside(monkeypatch, {"owner": "alice", "sessionId": "s1", **before})
    ended = manager.end_session("s1")
    assert factory.conversation(session_key("alice", "s1")).erase_session(ended["incarnation"])["erased"]
    manager.erased(ended["incarnation"])
    route(env, "hello again", "s1")
    # a fresh session: listed, a new incarnation, and nothing of the old trip
    now = manager.session_status("s1")
    assert now["live"] and now["incarnation"] != before["incarnation"]
    assert conversation_record(env, "s1")["incarnation"] == now["incarnation"]
    assert "s1" in listed(env)
    assert "Kyoto" not in stored_text(env.table, env, "alice", "s1")


def test_a_stale_not_live_read_beside_the_acquire_never_wipes_a_live_session(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    trip(env, "s1")
    read_beside(monkeypatch, {"owner": "alice", "sessionId": "s1", "live": False, "incarnation": None})
    route(env, "hotels please", "s1")
    assert "Kyoto" in stored_text(env.table, env, "alice", "s1")
    assert remnants(env.table, env, "alice", "s1")["conversation"]["history"] >= 6


def test_a_live_read_of_another_incarnation_is_read_again_under_the_lease(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    trip(env, "s1")
    read_beside(monkeypatch, {"owner": "alice", "sessionId": "s1", "live": True, "incarnation": "older"})
    route(env, "hotels please", "s1")
    assert "Kyoto" in stored_text(env.table, env, "alice", "s1")
