"""The SessionManager: sessions, their expiry, preferences, and its message types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from durable_agents.agents.base import BaseAgent
from durable_agents.agents.errors import Forbidden, InvalidMessage, NotFound, UnsupportedMessageType
from durable_agents.agents.factory import AgentFactory
from durable_agents.agents.session import MAX_SESSIONS
from durable_agents.runtime import DurableObject, Env, rpc
from tests.support.agents import agents_env, chat, message


class Clock:
    """The agents' clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(BaseAgent, "clock", staticmethod(clock))
    return clock


@pytest.fixture
def agent_env(dynamodb: Any) -> Env:
    return agents_env(dynamodb)


def sessions(env: Env, user: str = "alice") -> Any:
    return AgentFactory(env).session_manager(user)


def test_start_touch_list_and_end_sessions(agent_env: Env, clock: Clock) -> None:
    stub = sessions(agent_env)
    first = stub.start_session("alice")
    assert set(first) == {"sessionId", "createdAt", "lastActivity", "expiresAt"}
    another = stub.start_session("alice")
    assert len(first["sessionId"]) == 32 and first["sessionId"] != another["sessionId"]
    stub.end_session(another["sessionId"])
    assert datetime.fromisoformat(first["expiresAt"]) - clock.now == timedelta(days=7)

    clock.advance(hours=1)
    second = stub.start_session("alice", "s2")
    assert second["sessionId"] == "s2"
    assert [s["sessionId"] for s in stub.list_sessions()] == ["s2", first["sessionId"]]

    clock.advance(hours=1)
    touched = stub.touch_session(first["sessionId"], "Lisbon")
    assert touched["createdAt"] == first["createdAt"] and touched["lastActivity"] > first["lastActivity"]
    assert touched["title"] == "Lisbon" and stub.get_session(first["sessionId"]) == touched
    assert [s["sessionId"] for s in stub.list_sessions()] == [first["sessionId"], "s2"]
    again = stub.start_session("alice", "s2")  # an existing session is returned, refreshed
    assert again["createdAt"] == second["createdAt"] and again["lastActivity"] > second["lastActivity"]

    ended = stub.end_session("s2")
    assert ended["sessionId"] == "s2" and ended["ended"] is True and len(ended["incarnation"]) == 32
    assert stub.end_session("s2") == {"sessionId": "s2", "ended": False, "incarnation": None}
    with pytest.raises(NotFound):
        stub.touch_session("s2")
    assert [s["sessionId"] for s in stub.list_sessions()] == [first["sessionId"]]
    with pytest.raises(NotFound):
        stub.get_session("s2")


def test_at_most_max_sessions_are_kept(agent_env: Env, clock: Clock) -> None:
    stub = sessions(agent_env)
    for index in range(MAX_SESSIONS + 2):
        stub.start_session("alice", f"s{index}")
        clock.advance(minutes=1)
    listed = [s["sessionId"] for s in stub.list_sessions()]
    assert listed == [f"s{index}" for index in range(MAX_SESSIONS + 1, 1, -1)]  # the two oldest forgotten


def test_a_session_manager_serves_only_its_user(agent_env: Env) -> None:
    with pytest.raises(Forbidden):
        sessions(agent_env).start_session("mallory")
    with pytest.raises(InvalidMessage, match="session id"):
        sessions(agent_env).start_session("alice", "bad\nid")
    assert sessions(agent_env).list_sessions() == []


class StoredKeys(DurableObject):
    """Bound under SESSION_MANAGER in a probe Env: the keys a session manager really stores."""

    @rpc(read_only=True)
    def keys(self, prefix: str) -> list[str]:
        return sorted(self.storage.list(prefix=prefix))


def stored_session_ids(env: Env, dynamodb: Any, user: str = "alice") -> set[str]:
    """The session ids the user's SessionManager stores (expired ones included), read by a probe object."""
    probe = Env(env.settings, {"SESSION_MANAGER": f"{__name__}:StoredKeys"}, dynamodb=dynamodb)
    keys = probe.SESSION_MANAGER.get_by_name(f"session:{user}").keys("s:")
    return {key.removeprefix("s:") for key in keys}


def test_idle_sessions_expire_and_are_dropped(agent_env: Env, dynamodb: Any, clock: Clock) -> None:
    stub = sessions(agent_env)
    stub.start_session("alice", "old")
    clock.advance(days=5)
    stub.start_session("alice", "recent")
    clock.advance(days=2, seconds=1)  # "old" idle for 7 days and a second

    assert [s["sessionId"] for s in stub.list_sessions()] == ["recent"]
    with pytest.raises(NotFound):
        stub.touch_session("old")
    assert stored_session_ids(agent_env, dynamodb) == {"old", "recent"}  # reads do not write
    stub.start_session("alice", "new")  # starting a session drops the expired records from storage
    assert stored_session_ids(agent_env, dynamodb) == {"recent", "new"}
    stub.end_session("new")

    reopened = stub.start_session("alice", "old")  # the same id starts afresh
    assert datetime.fromisoformat(reopened["createdAt"]) == clock.now

    agent_env.settings = agent_env.settings.model_copy(
        update={"session_idle_days": 1.0}
    )  # applies to existing sessions
    assert datetime.fromisoformat(stub.list_sessions()[0]["expiresAt"]) == clock.now + timedelta(days=1)
    clock.advance(days=1, seconds=1)
    assert stub.list_sessions() == []


def test_preferences_merge_replace_and_limits(agent_env: Env) -> None:
    stub = sessions(agent_env)
    assert stub.get_preferences() == {}
    assert stub.set_preferences({"currency": "EUR", "interests": ["food"]}) == {
        "currency": "EUR",
        "interests": ["food"],
    }
    assert stub.set_preferences({"currency": None, "pace": "slow"}) == {"interests": ["food"], "pace": "slow"}
    assert stub.set_preferences({"language": "fr"}, True) == {"language": "fr"}
    assert stub.start_session("alice", "s1", {"currency": "GBP"})["sessionId"] == "s1"
    assert stub.get_preferences() == {"language": "fr", "currency": "GBP"}
    with pytest.raises(InvalidMessage, match="at most"):
        stub.set_preferences({"notes": "x" * 5000})
    assert stub.get_state()["preferences"] == {"language": "fr", "currency": "GBP"}


def test_session_messages(agent_env: Env) -> None:
    stub = sessions(agent_env)
    content = {"sessionId": "m1", "preferences": {"pace": "fast"}}
    started = stub.handle_message(message("start_session", content))
    assert started["type"] == "state" and started["data"]["sessionId"] == "m1"
    listed = stub.handle_message(message("list_sessions"))
    assert [s["sessionId"] for s in listed["data"]["sessions"]] == ["m1"]
    assert stub.handle_message(message("get_preferences"))["data"] == {"pace": "fast"}
    assert stub.handle_message(message("set_preferences", {"preferences": {"pace": "slow"}}))["data"] == {
        "pace": "slow"
    }
    assert stub.handle_message(message("touch_session", {"sessionId": "m1"}))["data"]["sessionId"] == "m1"
    assert stub.handle_message(message("end_session", {"sessionId": "m1"}))["data"]["ended"] is True
    with pytest.raises(InvalidMessage, match="sessionId"):
        stub.handle_message(message("touch_session", {}, session=None))  # type: ignore[arg-type]
    with pytest.raises(UnsupportedMessageType, match="end_session, get_preferences"):
        stub.handle_message(message("chat", "hi"))
    assert stub.get_state()["historyLength"] == 12
    assert stub.health()["agent"] == "SessionManager"


def test_conversations_keep_their_session_alive_and_reopen_an_expired_one(
    agent_env: Env, clock: Clock
) -> None:
    conversation = AgentFactory(agent_env).conversation("s1")

    def send(text: str) -> None:
        msg = chat(text)
        conversation.call("route_message", msg, idempotency_key=msg.id)

    send("hello")
    stub = sessions(agent_env)
    opened = stub.list_sessions()[0]
    clock.advance(seconds=5)
    send("Plan a trip to Lisbon")  # every routed turn refreshes the session's activity and title
    touched = stub.list_sessions()[0]
    assert touched["lastActivity"] > opened["lastActivity"] and touched["title"] == "Lisbon"
    clock.advance(days=6)
    send("hello again")
    assert stub.list_sessions()[0]["lastActivity"] > touched["lastActivity"]

    clock.advance(days=8)  # idle past expiry
    assert stub.list_sessions() == []
    send("back again")
    (reopened,) = stub.list_sessions()
    assert reopened["sessionId"] == "s1" and reopened["createdAt"] > opened["createdAt"]
