"""The TravelAgent through real turns on moto DynamoDB: the multi-turn conversation, tool failures,
the response cache, state queries, tool calls, the base agent's routes and state updates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from durable_agents.agents.base import BaseAgent
from durable_agents.agents.errors import InvalidMessage, MethodNotAllowed, NotFound, UnsupportedMessageType
from durable_agents.agents.travel import TravelAgent
from durable_agents.runtime import Env
from durable_agents.tools import offline_registry
from tests.support.agents import (
    CountingRegistry,
    Hold,
    agents_env,
    chat,
    message,
    registry_with_failure,
)
from tests.support.stack import stored_view

FULL_PLAN = "Plan a 5-day trip to Paris from Boston in May for 2 adults"
ALL_FOUR = ["weather", "flights", "hotels", "attractions"]


@pytest.fixture
def agent_env(dynamodb: Any) -> Env:
    return agents_env(dynamodb)


def route(env: Env, text: str, session: str = "s1", user: str = "alice") -> dict[str, Any]:
    """One /chat turn, the way the API sends it: through the conversation, keyed by the message id."""
    msg = chat(text, session=session, user=user)
    return env.CONVERSATION_MANAGER.get_by_name(f"conversation:{session}").call(
        "route_message", msg, idempotency_key=msg.id
    )


def travel(env: Env, session: str = "s1") -> Any:
    return env.TRAVEL_AGENT.get_by_name(f"travel:{session}")


# --- the multi-turn conversation --------------------------------------------------------------------------


def test_multi_turn_trip_planning_keeps_slots_across_turns_and_processes(dynamodb: Any) -> None:
    # turn 1: a destination but no origin, dates or travellers -> a plan on stated assumptions, and a question
    first = route(agents_env(dynamodb), "Plan a trip to Paris")
    assert first["type"] == "clarification"
    assert first["data"]["missing"] == ["origin", "dates", "travellers"]
    question = first["content"].rsplit("\n", 1)[-1]
    assert question.endswith("?") and "Paris" in question
    for detail in ("where you're travelling from", "when you're travelling", "how many people"):
        assert detail in question
    assert first["metadata"]["toolsUsed"] == ["weather", "hotels", "attractions"]  # no origin: no flights
    assert first["metadata"]["intent"] == "plan_trip"
    plan = first["data"]["plan"]
    assert plan["dates"]["assumed"] is True and "assumed" in plan["dates"]["note"]
    assert "assumed" in first["content"] and plan["flights"] == []

    # turn 2, in a "new process" (a fresh Env): the slots come back from DynamoDB
    second = route(agents_env(dynamodb), "from Boston, 5 days in May, 2 adults, budget 3000 USD")
    assert second["type"] == "answer", second["content"]
    assert sorted(second["metadata"]["toolsUsed"]) == sorted(ALL_FOUR)
    assert second["metadata"]["failedTools"] == []
    assert second["data"]["missing"] == []
    assert sorted(source["name"].split(":")[0] for source in second["sources"]) == sorted(ALL_FOUR)
    assert all(source["offline"] for source in second["sources"])
    plan = second["data"]["plan"]
    assert [flight["leg"] for flight in plan["flights"]] == ["outbound", "return"]
    assert plan["flights"][0]["from"] == "BOS" and plan["flights"][1]["to"] == "BOS"
    assert plan["dates"]["nights"] == 5 and len(plan["itinerary"]) == 6
    assert plan["budget"]["amount"] == {"amount": 3000.0, "currency": "USD"}
    assert plan["offline"] is True
    assert "Boston" in second["content"] or "BOS" in second["content"]
    assert "**Flights**" in second["content"] and "**Hotels**" in second["content"]
    assert "Day 1" in second["content"] and "offline sample" in second["content"]

    env = agents_env(dynamodb)
    slots = travel(env).get_state()["extractedSlots"]
    assert slots["destination"]["name"] == "Paris" and slots["destination"]["iata"] == "CDG"
    assert slots["origin"]["name"] == "Boston"
    assert (slots["month"], slots["durationDays"]) == (5, 5)
    assert slots["travellers"] == {"adults": 2}
    assert slots["budget"] == {"amount": 3000.0, "currency": "USD"}

    # turn 3: only the travellers change (the plan was complete): a short answer saying what changed
    third = route(agents_env(dynamodb), "make it 4 people")
    assert third["type"] == "answer"
    assert "4 adults (was 2 adults)" in third["content"] and "2 rooms (was 1)" in third["content"]
    assert "Day 1" not in third["content"]
    assert third["data"]["plan"]["party"] == {"adults": 4, "children": 0, "rooms": 2}
    assert third["data"]["plan"]["costs"]["total"]["amount"] > plan["costs"]["total"]["amount"]
    after = travel(agents_env(dynamodb)).get_state()["extractedSlots"]
    assert after == {**slots, "travellers": {"adults": 4, "children": 0}}

    # both sides of every turn in the conversation's history (the transcript is kept once: not by the agent)
    conversation = env.CONVERSATION_MANAGER.get_by_name("conversation:s1").get_state()
    history = conversation["conversationHistory"]
    assert [entry["role"] for entry in history] == ["user", "agent"] * 3
    assert history[0]["content"] == "Plan a trip to Paris"
    assert history[1]["type"] == "clarification" and history[5]["type"] == "answer"
    assert conversation["historyLength"] == 6
    assert conversation["context"]["conversation"]["ownerUserId"] == "alice"
    assert travel(env).get_state()["historyLength"] == 0
    state = travel(env).handle_message(message("state_query"))
    assert state["data"]["plan"]["party"]["adults"] == 4  # the current plan, for the session pages


def test_no_destination_asks_where_to_go_and_looks_nothing_up(agent_env: Env) -> None:
    registry = CountingRegistry(offline_registry())
    TravelAgent.tool_registry = registry  # type: ignore[assignment]
    try:
        response = travel(agent_env).handle_message(chat("Plan a trip for 2 people in June"))
    finally:
        TravelAgent.tool_registry = None
    assert response["type"] == "clarification"
    assert response["data"]["missing"] == ["destination"]
    assert response["metadata"]["toolsUsed"] == []
    assert registry.runs == []
    assert "Where would you like to go?" in response["content"]
    # what it did learn is kept
    slots = travel(agent_env).get_state()["extractedSlots"]
    assert slots["month"] == 6 and slots["travellers"]["adults"] == 2


# --- tool failures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["timeout", "error", "crash", "bad_data"])
@pytest.mark.parametrize("tool", ALL_FOUR)
def test_a_failing_tool_leaves_the_turn_answered_with_the_others(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch, tool: str, kind: str
) -> None:
    env = agents_env(dynamodb, tool_timeout_seconds=0.4)
    hold = Hold(seconds=60)  # a slow tool's call lasts a minute, unless released
    registry = CountingRegistry(registry_with_failure(tool, kind, hold))
    monkeypatch.setattr(TravelAgent, "tool_registry", registry)
    try:
        response = travel(env).handle_message(chat(FULL_PLAN))
        if kind == "timeout":
            assert not hold.done.is_set()  # a slow tool does not hold the turn: answered while it still ran
    finally:
        hold.release.set()

    assert response["type"] == "answer"
    assert sorted(response["metadata"]["toolsUsed"]) == sorted(ALL_FOUR)
    assert response["metadata"]["failedTools"] == [tool]
    assert sorted(source["name"].split(":")[0] for source in response["sources"]) == sorted(
        name for name in ALL_FOUR if name != tool
    )
    failed = next(entry for entry in response["data"]["tools"] if entry["tool"] == tool)
    assert failed["ok"] is False and failed["error"]
    if kind == "timeout":
        assert "timed out" in failed["error"]
    assert f"{tool} unavailable right now" in response["content"]
    plan = response["data"]["plan"]
    assert plan is not None and plan["costs"]["total"]["amount"] == pytest.approx(
        plan["costs"]["flights"]["amount"] + plan["costs"]["hotels"]["amount"], abs=0.01
    )
    assert response["confidence"] < 0.9
    # nothing is cached: asking again retries the tools
    runs = len(registry.runs)
    again = travel(env).handle_message(chat(FULL_PLAN))
    assert again["metadata"]["failedTools"] == [tool] and len(registry.runs) > runs


# --- what the agent stores ---------------------------------------------------------------------------------


def stored_keys(env: Env, dynamodb: Any, name: str = "travel:s1") -> set[str]:
    """Every storage key the object holds (read straight from its items, no turn)."""
    storage, _ = stored_view(env.table, env.TRAVEL_AGENT.id_from_name(name).key)
    return set(storage.list())


def test_the_agent_stores_slots_plan_and_a_small_dialog_state_only(agent_env: Env, dynamodb: Any) -> None:
    agent = travel(agent_env)
    agent.handle_message(chat("Plan a week in Lisbon from Madrid in June for 2 adults, budget 2000 EUR"))
    again = agent.handle_message(chat("What's the weather like?"))
    assert again["metadata"].get("cached") is None
    agent.handle_message(chat("make it 3 adults"))
    keys = stored_keys(agent_env, dynamodb)
    assert keys <= {"meta", "slots", "plan", "dialog", "preferences"}, keys
    assert {"slots", "plan", "dialog"} <= keys
    plan = agent.handle_message(message("state_query"))["data"]["plan"]
    assert len(json.dumps(plan)) < 6000  # a week's plan is a few KB
    assert agent.get_state()["historyLength"] == 2  # only the state query; chat turns are not recorded


# --- state_query and tool_call --------------------------------------------------------------------------


def test_state_query_summarises_the_trip(agent_env: Env) -> None:
    agent = travel(agent_env)
    empty = agent.handle_message(message("state_query"))
    assert empty["type"] == "state"
    assert empty["data"]["missing"] == ["destination", "origin", "dates", "travellers"]

    agent.handle_message(chat("Plan a trip to Lisbon in June"))
    state = agent.handle_message(message("state_query"))
    assert state["type"] == "state"
    assert state["data"]["slots"]["destination"]["name"] == "Lisbon"
    assert state["data"]["missing"] == ["origin", "travellers"]
    assert "Lisbon" in state["content"] and "June" in state["content"]
    assert "where you're travelling from" in state["content"]
    assert state["data"]["plan"]["stops"][0]["name"] == "Lisbon"


def test_tool_call_runs_one_tool(agent_env: Env) -> None:
    agent = travel(agent_env)
    result = agent.handle_message(
        message("tool_call", {"tool": "weather", "arguments": {"place": "Lisbon", "month": 6}})
    )
    assert result["type"] == "tool_result"
    assert result["data"]["ok"] is True and result["data"]["tool"] == "weather"
    assert result["data"]["data"]["place"] == "Lisbon"
    assert result["data"]["source"]["offline"] is True
    assert result["sources"][0]["offline"] is True
    assert result["metadata"]["toolsUsed"] == ["weather"]

    bad = agent.handle_message(message("tool_call", {"tool": "flights", "arguments": {"origin": "BOS"}}))
    assert bad["type"] == "tool_result" and bad["data"]["ok"] is False
    assert "invalid arguments" in bad["data"]["error"]
    assert bad["metadata"]["failedTools"] == ["flights"]

    with pytest.raises(InvalidMessage, match="unknown tool 'teleport'"):
        agent.handle_message(message("tool_call", {"tool": "teleport"}))
    with pytest.raises(InvalidMessage, match="needs an object"):
        agent.handle_message(message("tool_call", "weather please"))
    assert agent.get_state()["historyLength"] == 4  # refused messages are not recorded


# --- the base agent: message types, routes, state ------------------------------------------------------


def test_unsupported_message_type_lists_the_supported_ones(agent_env: Env) -> None:
    agent = travel(agent_env)
    with pytest.raises(UnsupportedMessageType) as caught:
        agent.handle_message(message("teleport", "now"))
    assert "chat, state_query, tool_call" in str(caught.value)
    assert caught.value.status == 400
    assert agent.get_state()["historyLength"] == 0


def test_routes_map_paths_to_rpc_methods() -> None:
    assert BaseAgent.route("POST", "/message") == "handle_message"
    assert TravelAgent.route("get", "/state") == "get_state"
    assert TravelAgent.route("GET", "/health") == "health"
    assert TravelAgent.route("HEAD", "/health/") == "health"
    with pytest.raises(NotFound) as missing:
        TravelAgent.route("GET", "/nope")
    assert missing.value.status == 404
    with pytest.raises(MethodNotAllowed) as wrong:
        TravelAgent.route("GET", "/message")
    assert (wrong.value.status, wrong.value.code) == (405, "method_not_allowed")
    assert wrong.value.allowed == ["POST"]
    with pytest.raises(MethodNotAllowed) as wrong_state:
        TravelAgent.route("DELETE", "/state")
    assert wrong_state.value.allowed == ["GET"]


def test_update_state_merges_allowed_fields_and_refuses_the_rest(agent_env: Env) -> None:
    agent = travel(agent_env)
    agent.handle_message(chat("Plan a trip to Rome"))
    before = agent.get_state()

    protected_fields: list[dict[str, Any]] = [
        {"conversationHistory": []},
        {"id": "x"},
        {"historyLength": 0},
        {"createdAt": "2020"},
    ]
    for protected in protected_fields:
        with pytest.raises(InvalidMessage, match="cannot update"):
            agent.update_state({**protected, "preferences": {"currency": "EUR"}})
    with pytest.raises(InvalidMessage, match="must be an object"):
        agent.update_state({"context": "x"})
    with pytest.raises(InvalidMessage, match="invalid extractedSlots"):
        agent.update_state({"extractedSlots": {"month": 13}})
    assert agent.get_state() == before  # nothing changed

    state = agent.update_state(
        {"preferences": {"currency": "EUR", "pace": "slow"}, "context": {"channel": "web"}}
    )
    assert state["preferences"] == {"currency": "EUR", "pace": "slow"}
    state = agent.update_state({"preferences": {"pace": None}, "extractedSlots": {"durationDays": 4}})
    assert state["preferences"] == {"currency": "EUR"}
    assert state["context"] == {"channel": "web"}
    assert state["extractedSlots"]["durationDays"] == 4
    assert state["extractedSlots"]["destination"]["name"] == "Rome"
    assert state["conversationHistory"] == before["conversationHistory"]


def test_get_state_shows_the_last_twenty_entries_in_two_requests(agent_env: Env, round_trips: Any) -> None:
    agent = travel(agent_env)
    for index in range(12):
        agent.handle_message(message("state_query", f"hello {index}"))  # recorded (chat turns are not)
    round_trips.reset()
    state = agent.get_state()
    assert dict(round_trips.calls) == {"GetItem": 1, "Query": 1}  # the STATE item, the newest history page
    assert set(state) == {
        "id", "createdAt", "lastUpdated", "conversationHistory", "historyLength",
        "extractedSlots", "preferences", "context",
    }  # fmt: skip
    assert state["id"] == "travel:s1"
    assert state["historyLength"] == 24
    history = state["conversationHistory"]
    assert len(history) == 20
    assert history[0]["content"] == "hello 2" and history[-2]["content"] == "hello 11"
    assert state["createdAt"] <= state["lastUpdated"]

    health = agent.health()
    assert health["status"] == "healthy"
    assert (health["agent"], health["id"], health["historyLength"]) == ("TravelAgent", "travel:s1", 24)
    assert health["version"]


def test_turn_cost_stays_flat_as_history_grows(agent_env: Env, round_trips: Any) -> None:
    agent = travel(agent_env)
    agent.handle_message(chat("hello"))
    round_trips.reset()
    agent.handle_message(chat("hello again"))
    first = round_trips.total
    for index in range(15):
        agent.handle_message(chat(f"hi {index}"))
    round_trips.reset()
    agent.handle_message(chat("hello once more"))
    assert round_trips.total == first <= 2
