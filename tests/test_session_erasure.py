"""One set of sessions: what the SessionManager lists is what a conversation can reach, and a session
that leaves the list (evicted as the 51st, expired after its idle days, ended) takes its objects with
it. In process, on moto, with the runtime's clock moved (agents and alarms read the same one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from durable_agents.agents.factory import AgentFactory, session_key
from durable_agents.agents.session import MAX_SESSIONS
from durable_agents.runtime import Env
from durable_agents.runtime.alarms import Sweeper, alarm_event
from durable_agents.runtime.host import host_call
from durable_agents.runtime.turn import run_alarm
from tests.support.agents import agents_env, chat
from tests.support.clock import held_clock
from tests.support.sessions import remnants, stored_text

START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = 86_400.0


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The runtime's clock (the agents' too) at ``now[0]``; move it by assigning."""
    return held_clock(monkeypatch, START)


@pytest.fixture
def env(dynamodb: Any, now: list[float]) -> Env:
    return agents_env(dynamodb)


def route(env: Env, text: str, session: str, user: str = "alice") -> dict[str, Any]:
    msg = chat(text, session=session, user=user)
    conversation = AgentFactory(env).conversation(session_key(user, session))
    answer: dict[str, Any] = conversation.call("route_message", msg, idempotency_key=msg.id)
    return answer


def listed(env: Env, user: str = "alice") -> list[str]:
    return [s["sessionId"] for s in AgentFactory(env).session_manager(user).list_sessions()]


def sweep(env: Env) -> int:
    """One pass of the alarm sweeper (what runs every minute in AWS, every quarter second locally)."""
    sweeper = Sweeper(env.table, lambda pk: host_call(alarm_event(pk), env))
    fired, _ = sweeper.sweep()
    sweeper.drain()
    return fired


def settle(env: Env, now: list[float]) -> None:
    """Sweep until nothing fires, a few seconds apart: an alarm that found an object busy with another
    (the manager's erasure and the travel agent's own alarm, fired together) runs again 1-2 s later."""
    for _ in range(10):
        if not sweep(env):
            return
        now[0] += 5
    raise AssertionError("alarms kept firing")


def trip(env: Env, session: str, user: str = "alice") -> None:
    route(env, "Plan a trip to Kyoto", session, user)
    route(env, "from Osaka, 3 days in April", session, user)
    assert remnants(env.table, env, user, session)["travel"]["keys"]


def test_the_51st_session_evicts_the_oldest_with_its_objects(
    env: Env, dynamodb: Any, now: list[float]
) -> None:
    trip(env, "oldest")
    now[0] += 60
    trip(env, "second")
    manager = AgentFactory(env).session_manager("alice")
    for index in range(MAX_SESSIONS - 2):
        now[0] += 60
        manager.start_session("alice", f"s{index}")
    assert {"oldest", "second"} <= set(listed(env))
    now[0] += 60
    manager.start_session("alice", "one-too-many")
    assert "oldest" not in listed(env) and len(listed(env)) == MAX_SESSIONS
    assert remnants(env.table, env, "alice", "oldest")  # evicted, its erasure queued

    # before the sweep has erased anything, a chat with the evicted id starts afresh: nothing carries on
    answer = route(env, "hotels please", "oldest")
    assert "Kyoto" not in answer["content"]
    assert "Kyoto" not in stored_text(env.table, env, "alice", "oldest")
    assert "oldest" in listed(env)  # opened again, as a new session, so the next oldest went
    assert "second" not in listed(env) and remnants(env.table, env, "alice", "second")

    # the sweep erases what the evictions queued; a fresh Env (another process) finds nothing of them
    assert sweep(env) >= 1
    fresh = agents_env(dynamodb)
    assert remnants(fresh.table, fresh, "alice", "second") == {}
    assert remnants(fresh.table, fresh, "alice", "oldest")["conversation"]["history"] == 2
    for session in ("oldest", "second"):
        assert "Kyoto" not in stored_text(fresh.table, fresh, "alice", session)
    assert set(listed(fresh)) == set(listed(env)) and len(listed(fresh)) == MAX_SESSIONS


def test_an_expired_session_is_erased_by_the_managers_alarm(
    env: Env, dynamodb: Any, now: list[float]
) -> None:
    trip(env, "idle")
    trip(env, "busy")
    manager_id = AgentFactory(env).session_manager("alice").id
    alarm = env.table.peek(manager_id.key).alarm
    idle_days = env.settings.session_idle_days
    assert alarm is not None and alarm <= (START.timestamp() + idle_days * DAY) * 1000 + 1_000

    now[0] += (idle_days - 1) * DAY
    assert run_alarm(env, manager_id) == "not_due"
    route(env, "and the weather?", "busy")  # "busy" is active again: its expiry moves on
    now[0] += DAY + 60
    assert listed(env) == ["busy"]
    assert remnants(env.table, env, "alice", "idle")  # expired, not yet erased
    assert sweep(env) >= 1
    fresh = agents_env(dynamodb)
    assert remnants(fresh.table, fresh, "alice", "idle") == {}
    assert remnants(fresh.table, fresh, "alice", "busy")["conversation"]["history"] == 6
    assert listed(fresh) == ["busy"]

    # the alarm now waits for "busy"'s own expiry, and erases it then
    alarm = env.table.peek(manager_id.key).alarm
    assert alarm is not None and alarm > now[0] * 1000
    now[0] += idle_days * DAY
    assert sweep(env) >= 1
    assert listed(env) == [] and remnants(env.table, env, "alice", "busy") == {}
    assert env.table.peek(manager_id.key).alarm is None  # nothing left to wait for


def test_a_chat_with_an_expired_session_not_yet_swept_starts_afresh(env: Env, now: list[float]) -> None:
    trip(env, "lapsed")
    now[0] += env.settings.session_idle_days * DAY + 60
    assert listed(env) == []
    answer = route(env, "hotels please", "lapsed")  # the sweep has not run: the old trip is still stored
    assert "Kyoto" not in answer["content"]
    text = stored_text(env.table, env, "alice", "lapsed")
    assert "hotels please" in text and "Kyoto" not in text and "Osaka" not in text
    assert listed(env) == ["lapsed"]
    sweep(env)  # the erasure of the old incarnation leaves the new one alone
    assert remnants(env.table, env, "alice", "lapsed")["conversation"]["history"] == 2


def test_ending_a_session_queues_its_erasure_and_the_alarm_does_it(env: Env, dynamodb: Any) -> None:
    """DELETE erases at once; when it cannot (a crash, a busy conversation), the queued erasure is the
    manager's alarm's to do: ending alone is enough."""
    trip(env, "ended")
    ended = AgentFactory(env).session_manager("alice").end_session("ended")
    assert ended["ended"] is True
    assert remnants(env.table, env, "alice", "ended")
    assert sweep(env) == 1
    fresh = agents_env(dynamodb)
    assert remnants(fresh.table, fresh, "alice", "ended") == {} and listed(fresh) == []


def test_a_pending_reminder_keeps_its_session_until_it_has_fired(env: Env, now: list[float]) -> None:
    route(env, "Plan a trip to Rome from Boston April 20-27 for 2 adults", "trip")
    answer = route(env, "remind me a week before we leave", "trip")
    assert "Apr 13" in answer["content"]
    idle = env.settings.session_idle_days * DAY
    now[0] += idle + DAY  # idle past its days, but the reminder is still to come
    sweep(env)
    assert listed(env) == ["trip"] and remnants(env.table, env, "alice", "trip")["travel"]["alarm"]

    now[0] = dt.datetime(2027, 4, 13, 9, 0, tzinfo=dt.UTC).timestamp()
    sweep(env)  # the reminder fires into the conversation, which counts as activity
    turns = AgentFactory(env).conversation(session_key("alice", "trip")).transcript(50)["turns"]
    assert turns[-1]["type"] == "reminder" and listed(env) == ["trip"]

    now[0] += idle + 3600
    sweep(env)  # idle for its days after the reminder: erased
    assert listed(env) == [] and remnants(env.table, env, "alice", "trip") == {}


def test_a_price_watch_keeps_its_session_until_its_date(env: Env, now: list[float]) -> None:
    route(env, "Plan a trip to Rome from Boston April 20-27 for 2 adults", "watched")
    answer = route(env, "tell me if flights to Rome drop under 5", "watched")
    assert "once a day" in answer["content"]
    idle = env.settings.session_idle_days * DAY
    now[0] += idle + DAY  # idle past its days; the watch runs until April 20
    sweep(env)
    assert listed(env) == ["watched"]
    now[0] = dt.datetime(2027, 4, 22, 1, 0, tzinfo=dt.UTC).timestamp() + idle
    settle(env, now)  # the watch is over (and said so): idle for its days after that, the session goes
    assert listed(env) == [] and remnants(env.table, env, "alice", "watched") == {}
