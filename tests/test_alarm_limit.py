"""How far ahead an alarm may be due (``runtime.alarms.MAX_AHEAD_DAYS``): further is refused with
InvalidValue and nothing is stored (a pending alarm keeps its object from expiring, so an alarm in year
9999 would keep it for ever); schedules, whose first run is an alarm, have the same limit; the travel
agent says so in a sentence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from durable_agents.agents.factory import AgentFactory
from durable_agents.config import Settings
from durable_agents.runtime import DurableObject, Env, InvalidValue, Scheduling, rpc
from durable_agents.runtime.alarms import MAX_AHEAD_DAYS, MAX_AHEAD_MS
from tests.support.agents import agents_env, chat
from tests.support.clock import held_clock

START = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)


class Alarmed(DurableObject):
    @rpc
    def set_at(self, when: int) -> None:
        self.storage.put("asked", when)
        self.storage.set_alarm(when)


class Scheduled(Scheduling):
    @rpc
    def later(self, seconds: float) -> dict[str, Any]:
        return self.schedule(seconds, "ping")

    @rpc
    def cron(self, expression: str) -> dict[str, Any]:
        return self.schedule(expression, "ping")

    def ping(self, payload: Any) -> None:
        pass


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    return held_clock(monkeypatch, START)


@pytest.fixture
def env(dynamodb: Any, now: list[float]) -> Env:
    bindings = {"ALARMED": f"{__name__}:Alarmed", "SCHEDULED": f"{__name__}:Scheduled"}
    return Env(Settings(state_table="state-test"), bindings, dynamodb=dynamodb)


def test_an_alarm_further_ahead_than_the_limit_is_refused_and_nothing_is_stored(env: Env) -> None:
    stub = env.namespace("ALARMED").get_by_name("a")
    limit = int(START.timestamp() * 1000) + MAX_AHEAD_MS
    stub.set_at(limit)  # exactly at the limit: fine
    assert env.table.peek(stub.id.key).alarm == limit
    for too_far in (limit + 1, int(dt.datetime(9999, 12, 31, tzinfo=dt.UTC).timestamp() * 1000)):
        with pytest.raises(InvalidValue, match=f"at most {MAX_AHEAD_DAYS} days ahead"):
            stub.set_at(too_far)
    snapshot = env.table.peek(stub.id.key)
    assert snapshot.alarm == limit and snapshot.expires_at is not None
    assert snapshot.expires_at * 1000 <= limit + env.settings.retention_ms("ALARMED") + 1000


def test_a_schedule_further_ahead_than_the_limit_is_refused(env: Env) -> None:
    stub = env.namespace("SCHEDULED").get_by_name("s")
    assert stub.later(MAX_AHEAD_DAYS * 86_400)["status"] == "pending"
    with pytest.raises(InvalidValue, match="days ahead"):
        stub.later(MAX_AHEAD_DAYS * 86_400 + 1)
    with pytest.raises(InvalidValue, match="days ahead"):
        stub.cron("0 0 29 2 *")  # 29 February: the next one is in 2028, more than a year away
    assert stub.cron("0 9 * * 1")["status"] == "pending"  # every Monday: fine


def test_the_travel_agent_answers_a_reminder_too_far_ahead_with_a_sentence(
    dynamodb: Any, now: list[float]
) -> None:
    env = agents_env(dynamodb)
    conversation = AgentFactory(env).conversation("far")

    def say(text: str) -> dict[str, Any]:
        message = chat(text, session="far")
        answer: dict[str, Any] = conversation.call("route_message", message, idempotency_key=message.id)
        return answer

    planned = say("Plan a trip to Rome from Boston June 1-6 2029 for 2 adults")
    assert planned["data"]["slots"]["departureDate"] == "2029-06-01"
    answer = say("remind me a week before we leave")
    assert answer["type"] == "answer"
    assert f"reminders can be at most {MAX_AHEAD_DAYS} days ahead" in answer["content"]
    assert "Fri, May 25, 2029" in answer["content"]
    travel = AgentFactory(env).travel_agent("far")
    assert env.table.peek(travel.id.key).alarm is None
