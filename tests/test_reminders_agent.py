"""The travel agent's reminders and price watches in process, on moto DynamoDB, with time moved: what
the HTTP tests do not reach (a conversation that is gone, an agent messaged directly, a watch outliving
its date or its 30 days, asking twice, the limit) and what the agent stores for them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from durable_agents.agents.models import AgentContext, AgentMessage
from durable_agents.agents.travel import MAX_ALERTS
from durable_agents.llm.alerts import WATCH_DAYS
from durable_agents.runtime import Env
from durable_agents.runtime.alarms import Sweeper, alarm_event
from durable_agents.runtime.host import host_call
from tests.support.agents import agents_env, chat
from tests.support.clock import held_clock
from tests.support.stack import stored_view

START = dt.datetime(2027, 1, 4, 9, 30, tzinfo=dt.UTC)
DAY = 86_400


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The runtime's clock at ``now[0]`` (start: Monday 2027-01-04 09:30 UTC); move it by assigning."""
    return held_clock(monkeypatch, START)


@pytest.fixture
def env(dynamodb: Any, now: list[float]) -> Env:
    return agents_env(dynamodb)


def sweep(env: Env) -> int:
    sweeper = Sweeper(env.table, lambda pk: host_call(alarm_event(pk), env))
    fired, _ = sweeper.sweep()
    sweeper.drain()
    return fired


def route(env: Env, text: str, session: str = "s1") -> dict[str, Any]:
    msg = chat(text, session=session)
    answer: dict[str, Any] = env.CONVERSATION_MANAGER.get_by_name(f"conversation:{session}").call(
        "route_message", msg, idempotency_key=msg.id
    )
    return answer


def unasked(env: Env, session: str = "s1") -> list[dict[str, Any]]:
    turns = env.CONVERSATION_MANAGER.get_by_name(f"conversation:{session}").transcript(50)["turns"]
    return [t for t in turns if t["role"] == "agent" and t["type"] not in ("answer", "clarification")]


def direct(env: Env, text: str, name: str, conversation: str | None = None) -> dict[str, Any]:
    """A chat message sent to the travel agent itself (``/agents/TRAVEL_AGENT/<name>/message``)."""
    context = AgentContext(session_id=name, user_id="alice", conversation_id=conversation)
    answer: dict[str, Any] = env.TRAVEL_AGENT.get_by_name(f"travel:{name}").handle_message(
        AgentMessage(type="chat", content=text, context=context)
    )
    return answer


def test_a_reminder_before_the_return_counts_from_the_trips_end(env: Env, now: list[float]) -> None:
    route(env, "Plan a trip to Rome from Boston January 20-27 for 2 adults")
    answer = route(env, "remind me the day before we fly home to check out")
    assert "I'll remind you to check out here on Tue, Jan 26 at 09:00 UTC" in answer["content"]
    now[0] = dt.datetime(2027, 1, 26, 9, 0, tzinfo=dt.UTC).timestamp()
    assert sweep(env) == 1
    (reminder,) = unasked(env)
    assert reminder["content"] == "Reminder: check out. You come back from Rome tomorrow (Wed, Jan 27)."


def test_asking_twice_keeps_one_and_the_limit_is_said(env: Env, now: list[float]) -> None:
    route(env, "Plan a trip to Rome from Boston January 20-27 for 2 adults")
    assert "Done" in route(env, "remind me a week before we leave")["content"]
    assert "You already have that reminder" in route(env, "remind me a week before we leave")["content"]
    assert "I'll check" in route(env, "tell me if flights to Rome drop under 100")["content"]
    assert "I'm already watching" in route(env, "tell me if flights to Rome drop under 100")["content"]
    for minutes in range(1, MAX_ALERTS - 1):
        assert "Done" in route(env, f"remind me in {minutes} minutes to stretch")["content"]
    refused = route(env, "remind me in 59 minutes to stretch")
    assert f"You already have {MAX_ALERTS} reminders and price watches" in refused["content"]
    assert "You already have that reminder" in route(env, "remind me in 1 minutes to stretch")["content"]


def test_what_an_alert_stores_is_small_and_only_in_the_travel_agent(env: Env, now: list[float]) -> None:
    route(env, "Plan a trip to Rome from Boston January 20-27 for 2 adults")
    route(env, "remind me to book the airport taxi a week before we leave")
    route(env, "tell me if flights to Rome drop under 100")
    storage, _ = stored_view(env.table, env.TRAVEL_AGENT.get_by_name("travel:s1").id.key)
    schedules = storage.list(prefix="schedule:")
    assert len(schedules) == 2
    assert all(len(json.dumps(record)) < 1024 for record in schedules.values())  # no tool results kept
    assert "pending" not in (storage.get("dialog") or {})
    conversation, _ = stored_view(env.table, env.CONVERSATION_MANAGER.get_by_name("conversation:s1").id.key)
    assert not conversation.list(prefix="schedule")  # the alerts are the agent's own, nowhere else


def test_a_reminder_for_a_conversation_that_is_gone_is_logged_and_dropped(
    env: Env, now: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    answer = direct(env, "remind me in 10 minutes to stretch", "lonely", conversation="never-started")
    assert "I'll remind you to stretch" in answer["content"]
    now[0] += 600
    assert sweep(env) == 1
    assert "conversation never-started no longer exists: its reminder was not delivered" in caplog.text
    assert "no reminders" in direct(env, "what reminders do I have?", "lonely")["content"]  # not failed
    now[0] += 3600
    assert sweep(env) == 0


def test_an_agent_messaged_directly_keeps_its_reminder_in_its_own_history(env: Env, now: list[float]) -> None:
    direct(env, "remind me in 2 hours to call the hotel", "solo")
    now[0] += 7200
    assert sweep(env) == 1
    history = env.TRAVEL_AGENT.get_by_name("travel:solo").get_state()["conversationHistory"]
    assert [(entry["role"], entry["type"], entry["content"]) for entry in history] == [
        ("agent", "reminder", "Reminder: call the hotel.")
    ]


def test_a_watch_ends_when_its_date_has_passed(env: Env, now: list[float]) -> None:
    route(env, "Plan a trip to Rome from Boston January 6-9 for 2 adults")
    assert (
        "I'll check flights Boston → Rome on Wed, Jan 6"
        in route(env, "tell me if flights drop under 50")["content"]
    )
    for _ in range(3):  # Jan 5, 6 (the day itself is still checked), 7: past it
        now[0] += DAY
        assert sweep(env) == 1
    (notice,) = unasked(env)
    assert notice["type"] == "notice"
    watched = "flights Boston → Rome on Wed, Jan 6 (back Sat, Jan 9)"
    assert notice["content"] == f"I've stopped watching {watched}: that date has passed."
    now[0] += DAY
    assert sweep(env) == 0


def test_a_watch_without_a_date_ends_after_its_days(env: Env, now: list[float]) -> None:
    answer = route(env, "watch hotel prices in Lisbon under 5 a night")
    assert "I'll check hotels in Lisbon once a day" in answer["content"]
    for _ in range(WATCH_DAYS):
        now[0] += DAY
        assert sweep(env) == 1
    assert unasked(env) == []
    now[0] += DAY
    assert sweep(env) == 1
    (notice,) = unasked(env)
    assert notice["content"].startswith(f"I've stopped watching hotels in Lisbon after {WATCH_DAYS} days")
    assert "aren't watching any" in route(env, "what am I watching?")["content"]


def test_cancel_the_second_one_after_suggestions_cancels_and_picks_nothing(
    env: Env, now: list[float]
) -> None:
    assert route(env, "somewhere warm in December under 2000 euros")["metadata"]["intent"] == "suggest"
    route(env, "remind me in 1 hour to book")
    route(env, "remind me in 2 hours to pack")
    answer = route(env, "cancel the second one")
    assert answer["metadata"]["intent"] == "cancel_alerts" and "pack" in answer["content"]
    assert answer["data"]["slots"].get("destination") is None and answer["data"]["plan"] is None
    assert "to book" in route(env, "what reminders do I have?")["content"]
