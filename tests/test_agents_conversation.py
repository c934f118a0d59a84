"""The ConversationManager: routing, exactly-once turns, ownership, preferences from the SessionManager,
and coordination (in-process fan-out, record_coordination, and starting the Step Functions execution)."""

from __future__ import annotations

import json
import threading
from typing import Any

import boto3
import pytest

from durable_agents.agents.conversation import ConversationManager, coordination_id
from durable_agents.agents.errors import Forbidden, InvalidMessage, NotFound
from durable_agents.agents.factory import AgentFactory
from durable_agents.agents.scraping import ScrapingAgent
from durable_agents.agents.travel import TravelAgent
from durable_agents.http import HttpResponse, RecordedTransport
from durable_agents.runtime import Env
from tests.support.agents import agents_env, chat, message
from tests.support.scraping import FakeClock, FakeResolver

PAGE_URL = "https://en.wikivoyage.org/wiki/Paris"


@pytest.fixture
def agent_env(dynamodb: Any) -> Env:
    return agents_env(dynamodb)


def conversation(env: Env, session: str = "s1") -> Any:
    return AgentFactory(env).conversation(session)


def send(env: Env, msg: Any, session: str = "s1") -> dict[str, Any]:
    """A /chat turn as the API sends it (keyed by the message id)."""
    return conversation(env, session).call("route_message", msg, idempotency_key=msg.id)


@pytest.fixture
def wikivoyage(monkeypatch: pytest.MonkeyPatch) -> RecordedTransport:
    """The scraping agent reads a recorded web (robots.txt + the Paris page) at a public address."""
    transport = RecordedTransport()
    robots = "User-agent: *\nDisallow: /w/\n"
    robots_url = "https://en.wikivoyage.org/robots.txt"
    transport.add(
        "GET", robots_url, HttpResponse(200, robots_url, robots.encode(), {"Content-Type": "text/plain"})
    )
    html = "<html><title>Paris travel guide</title><body><p>Paris is the capital of France.</p></body></html>"
    transport.add("GET", PAGE_URL, HttpResponse(200, PAGE_URL, html.encode(), {"Content-Type": "text/html"}))
    monkeypatch.setattr(ScrapingAgent, "transport", transport)
    monkeypatch.setattr(
        ScrapingAgent,
        "scraper_options",
        {"resolver": FakeResolver(), "clock": FakeClock(), "min_interval": 0},
    )
    return transport


# --- routing and exactly-once ---------------------------------------------------------------------------


def test_factory_names_follow_the_seed(agent_env: Env) -> None:
    factory = AgentFactory(agent_env)
    assert factory.travel_agent("s").id == agent_env.TRAVEL_AGENT.id_from_name("travel:s")
    assert factory.conversation("c").id == agent_env.CONVERSATION_MANAGER.id_from_name("conversation:c")
    assert factory.scraping_agent("t").id == agent_env.SCRAPING_AGENT.id_from_name("scraping:t")
    assert factory.session_manager("u").id == agent_env.SESSION_MANAGER.id_from_name("session:u")


def test_first_message_starts_the_conversation_and_goes_to_the_travel_agent(agent_env: Env) -> None:
    response = send(agent_env, chat("Plan a trip to Rome in June from London for 2 people"))
    assert response["type"] == "answer"
    state = conversation(agent_env).get_state()
    record = state["context"]["conversation"]
    assert record["ownerUserId"] == "alice"
    assert record["sessionId"] == record["conversationId"] == "s1"
    assert record["agents"] == ["travel"]
    assert [entry["role"] for entry in state["conversationHistory"]] == ["user", "agent"]
    assert state["conversationHistory"][1]["content"] == response["content"]
    travel_state = AgentFactory(agent_env).travel_agent("s1").get_state()
    assert travel_state["extractedSlots"]["destination"]["name"] == "Rome"


def test_the_same_message_id_twice_is_answered_once(agent_env: Env) -> None:
    msg = chat("Plan a trip to Paris from Boston in May for 2 adults")
    first = send(agent_env, msg)
    again = send(agent_env, msg)  # the API's retry: the runtime replays the recorded response
    assert first == again
    assert conversation(agent_env).get_state()["historyLength"] == 2
    assert (
        AgentFactory(agent_env).travel_agent("s1").get_state()["historyLength"] == 0
    )  # no second transcript


def test_a_turn_that_fails_after_the_agent_answered_changes_neither_object(
    agent_env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The travel turn is joined to the conversation's: it commits with it or not at all, so a failure
    after the agent answered leaves both objects as they were, and the retry applies the turn once."""
    original = ConversationManager._activity
    calls = {"n": 0}

    def crash_once(
        self: ConversationManager, record: dict[str, Any], *kinds: str, **kw: Any
    ) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("lost the conversation's commit")
        return original(self, record, *kinds, **kw)

    monkeypatch.setattr(ConversationManager, "_activity", crash_once)
    msg = chat("Plan a trip to Paris from Boston in May for 2 adults")
    with pytest.raises(RuntimeError):
        send(agent_env, msg)
    travel = AgentFactory(agent_env).travel_agent("s1")
    assert travel.get_state()["extractedSlots"] == {}  # neither the travel turn ...
    assert conversation(agent_env).get_state()["historyLength"] == 0  # ... nor the conversation's

    response = send(agent_env, msg)  # the retry: both, once
    assert response["type"] == "answer"
    assert travel.get_state()["extractedSlots"]["destination"]["name"] == "Paris"
    assert conversation(agent_env).get_state()["historyLength"] == 2
    assert send(agent_env, msg) == response  # and again: the recorded answer, nothing run


def test_the_agent_is_held_until_the_conversation_commits(
    agent_env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a conversation's turn runs, its travel agent (joined) is held: nobody sees or changes it
    half-way; both are released by the one commit."""
    seen: dict[str, Any] = {}
    original = ConversationManager._activity

    def peek_in_between(self: ConversationManager, record: dict[str, Any], *kinds: str, **kw: Any) -> Any:
        quick = agents_env(agent_env.table.client, busy_wait_seconds=0.05)

        def another_caller() -> None:  # another request, outside this turn
            try:
                AgentFactory(quick).travel_agent("s1").update_state({"context": {"x": 1}})
            except Exception as error:  # noqa: BLE001 - the test looks at what it was
                seen["error"] = error

        other = threading.Thread(target=another_caller)
        other.start()
        other.join(10)
        return original(self, record, *kinds, **kw)

    monkeypatch.setattr(ConversationManager, "_activity", peek_in_between)
    send(agent_env, chat("Plan a trip to Rome"))
    assert type(seen["error"]).__name__ == "ObjectBusy"
    assert AgentFactory(agent_env).travel_agent("s1").update_state({"context": {"x": 1}})["context"] == {
        "x": 1
    }


def test_named_agent_and_unknown_agent(agent_env: Env, wikivoyage: RecordedTransport) -> None:
    scrape = message("scrape", {"url": PAGE_URL})
    response = conversation(agent_env).route_message(scrape)  # best agent for a page: scraping
    assert response["type"] == "tool_result" and response["data"]["ok"] is True
    assert conversation(agent_env).get_state()["context"]["conversation"]["agents"] == ["travel", "scraping"]
    assert AgentFactory(agent_env).scraping_agent("s1").get_state()["historyLength"] == 0  # not kept twice
    with pytest.raises(InvalidMessage, match="unknown agent 'weather'"):
        conversation(agent_env).route_message(chat("hi"), "weather")


def test_handle_message_routes_chat_without_recording_it_twice(agent_env: Env) -> None:
    response = conversation(agent_env).handle_message(chat("Plan a trip to Oslo"))
    assert response["type"] == "clarification"
    assert conversation(agent_env).get_state()["historyLength"] == 2


# --- ownership ------------------------------------------------------------------------------------------


def test_another_user_is_forbidden_and_nothing_changes(agent_env: Env) -> None:
    send(agent_env, chat("Plan a trip to Paris"))
    before = conversation(agent_env).get_state()
    travel_before = AgentFactory(agent_env).travel_agent("s1").get_state()

    with pytest.raises(Forbidden, match="another user"):
        send(agent_env, chat("make it 4 people", user="mallory"))
    with pytest.raises(Forbidden, match="no user id"):
        send(agent_env, chat("make it 4 people", user=None))
    with pytest.raises(Forbidden):
        conversation(agent_env).start_conversation("mallory", "s1")
    with pytest.raises(Forbidden):
        conversation(agent_env).coordinate_agents(chat("Plan a trip", user="mallory"), ["travel"])

    assert conversation(agent_env).get_state() == before
    assert AgentFactory(agent_env).travel_agent("s1").get_state() == travel_before
    assert send(agent_env, chat("make it 4 people"))["type"] in ("answer", "clarification")


def test_a_conversation_needs_a_user_to_start(agent_env: Env) -> None:
    with pytest.raises(InvalidMessage, match="userId"):
        send(agent_env, chat("hello", user=None))
    assert conversation(agent_env).get_state()["historyLength"] == 0


def test_start_conversation(agent_env: Env) -> None:
    stub = conversation(agent_env)
    record = stub.start_conversation("alice", "s1")
    assert record["agents"] == ["travel"] and record["ownerUserId"] == "alice"
    assert stub.start_conversation("alice", "s1") == record
    assert stub.start_conversation("alice", "s1", ["scraping"])["agents"] == ["travel", "scraping"]
    with pytest.raises(InvalidMessage, match="session"):
        stub.start_conversation("alice", "other")
    with pytest.raises(InvalidMessage, match="agents"):
        stub.start_conversation("alice", "s1", ["chef"])
    response = stub.handle_message(message("start_conversation", {"agents": ["travel"]}))
    assert response["type"] == "state" and response["data"]["conversationId"] == "s1"


# --- preferences from the SessionManager ----------------------------------------------------------------


def test_preferences_carry_into_a_new_conversation(agent_env: Env) -> None:
    sessions = AgentFactory(agent_env).session_manager("alice")
    sessions.set_preferences({"interests": ["food", "art"], "currency": "EUR"})

    send(agent_env, chat("Plan a trip to Rome", session="s2"), session="s2")
    state = conversation(agent_env, "s2").get_state()
    assert state["preferences"] == {"interests": ["food", "art"], "currency": "EUR"}
    # the travel agent got them too, and plans for those interests
    travel = AgentFactory(agent_env).travel_agent("s2").get_state()
    assert travel["preferences"] == state["preferences"]
    assert travel["extractedSlots"]["interests"] == ["food", "art"]
    # and the conversation opened the session
    assert [record["sessionId"] for record in sessions.list_sessions()] == ["s2"]

    # later preference changes do not rewrite a running conversation, but reach the next one
    sessions.set_preferences({"currency": "GBP"})
    send(agent_env, chat("hello", session="s3"), session="s3")
    assert conversation(agent_env, "s3").get_state()["preferences"]["currency"] == "GBP"
    assert conversation(agent_env, "s2").get_state()["preferences"]["currency"] == "EUR"


# --- coordination ---------------------------------------------------------------------------------------


def test_in_process_coordination_fans_out_and_records_once(
    agent_env: Env, wikivoyage: RecordedTransport
) -> None:
    msg = chat("Plan a trip to Paris")
    stub = conversation(agent_env)
    record = stub.coordinate_agents(msg, ["travel", "scraping"])

    assert record["status"] == "completed"
    assert record["coordinationId"] == coordination_id("conversation:s1", msg.id)
    assert [outcome["agent"] for outcome in record["outcomes"]] == ["travel", "scraping"]
    assert all(outcome["ok"] for outcome in record["outcomes"]) and record["failed"] == []
    response = record["response"]
    assert response["type"] == "coordination"
    assert "Here's your trip to Paris" in response["content"]
    assert "Paris travel guide — https://en.wikivoyage.org/wiki/Paris" in response["content"]
    assert "capital of France" not in response["content"]  # page text is data, never the answer
    assert {"weather", "attractions", "scraper"} <= set(response["metadata"]["toolsUsed"])
    assert ("GET", PAGE_URL) in [(method, url) for method, url, _ in wikivoyage.requests]

    state = stub.get_state()
    assert [(e["role"], e["type"]) for e in state["conversationHistory"]] == [
        ("user", "coordinate_agents"),
        ("agent", "coordination"),
    ]
    assert state["context"]["conversation"]["agents"] == ["travel", "scraping"]
    stored = stub.get_coordination(record["coordinationId"])
    assert stored == {key: value for key, value in record.items() if key != "recorded"}

    # the same message again: the same coordination, nothing re-run or re-recorded
    assert stub.coordinate_agents(msg, ["travel", "scraping"])["coordinationId"] == record["coordinationId"]
    # the state machine's last step arriving late (or twice) changes nothing either
    failure = {"ok": False, "task": {}, "error": {"type": "X"}}
    late = stub.record_coordination(record["coordinationId"], [failure])
    assert late["response"] == response and late["recorded"] == record["coordinationId"]
    assert stub.get_state()["historyLength"] == 2
    assert (
        AgentFactory(agent_env).travel_agent("s1").get_state()["historyLength"] == 0
    )  # no second transcript


def test_coordination_without_a_destination_skips_the_pages(agent_env: Env) -> None:
    record = conversation(agent_env).coordinate_agents(chat("hello there"), ["travel", "scraping"])
    assert record["agents"] == ["travel"]
    assert record["skipped"][0]["agent"] == "scraping"
    with pytest.raises(InvalidMessage, match="nothing to coordinate"):
        conversation(agent_env).coordinate_agents(chat("hello again"), ["scraping"])
    with pytest.raises(NotFound):
        conversation(agent_env).get_coordination("nope")


def test_record_coordination_combines_answers_and_names_failed_branches(agent_env: Env) -> None:
    stub = conversation(agent_env)
    stub.start_conversation("alice", "s1")
    answer = {
        "type": "answer",
        "content": "Rome in June: warm.",
        "confidence": 0.9,
        "sources": [{"name": "weather:offline", "offline": True}],
        "metadata": {"intent": "plan_trip", "toolsUsed": ["weather"], "timestamp": "2025-01-01T00:00:00Z"},
    }
    lambda_cause = json.dumps(
        {"errorMessage": "scraping:s1 is busy", "errorType": "ObjectBusy", "stackTrace": ["  File secret.py"]}
    )
    results = [
        {"ok": True, "task": {"namespace": "TRAVEL_AGENT", "name": "travel:s1"}, "result": answer},
        {"ok": False, "task": {"namespace": "SCRAPING_AGENT", "name": "scraping:s1"},
         "error": {"type": "ObjectBusy", "cause": lambda_cause}},
    ]  # fmt: skip
    record = stub.record_coordination("c1", results)
    assert record["recorded"] == "c1" and record["status"] == "completed"
    response = record["response"]
    assert response["content"].startswith("Rome in June: warm.")
    assert "Not available right now: scraping (ObjectBusy)." in response["content"]
    assert response["metadata"]["failedAgents"] == ["scraping"]
    assert response["confidence"] == pytest.approx(0.45)
    assert record["failed"] == [
        {
            "agent": "scraping",
            "name": "scraping:s1",
            "error": {"type": "ObjectBusy", "cause": "scraping:s1 is busy"},
        }
    ]
    assert "secret.py" not in json.dumps(record)

    again = stub.record_coordination("c1", [results[0]])
    assert again == record
    history = stub.get_state()["conversationHistory"]
    assert [(e["role"], e["messageId"]) for e in history] == [("agent", "c1")]


def test_with_a_state_machine_the_execution_gets_the_tasks(
    dynamodb: Any, wikivoyage: RecordedTransport
) -> None:
    stepfunctions = boto3.client("stepfunctions", region_name="us-east-1")
    machine = stepfunctions.create_state_machine(
        name="coordinate",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/coordination",
    )["stateMachineArn"]
    env = agents_env(dynamodb, stepfunctions=stepfunctions, coordination_state_machine_arn=machine)
    msg = chat("Plan a trip to Paris")
    record = conversation(env).coordinate_agents(msg, ["travel", "scraping"])

    cid = coordination_id("conversation:s1", msg.id)
    assert record["status"] == "pending" and record["coordinationId"] == cid
    execution = stepfunctions.describe_execution(executionArn=record["executionArn"])
    assert execution["name"] == cid
    payload = json.loads(execution["input"])
    assert payload["coordinationId"] == cid
    assert payload["conversation"] == {"namespace": "CONVERSATION_MANAGER", "name": "conversation:s1"}
    travel_task, scraping_task = payload["tasks"]
    assert {k: travel_task[k] for k in ("namespace", "name", "method", "kwargs")} == {
        "namespace": "TRAVEL_AGENT", "name": "travel:s1", "method": "handle_message", "kwargs": {},
    }  # fmt: skip
    (travel_message,) = travel_task["args"]
    assert travel_message["type"] == "chat" and travel_message["content"] == "Plan a trip to Paris"
    assert travel_message["context"]["userId"] == "alice"
    assert travel_task["idempotencyKey"] == travel_message["id"] == f"{cid}:travel"
    assert scraping_task["namespace"] == "SCRAPING_AGENT" and scraping_task["name"] == "scraping:s1"
    assert scraping_task["args"][0]["type"] == "scrape_many"
    assert scraping_task["args"][0]["content"] == {"urls": [PAGE_URL]}
    assert wikivoyage.requests == []  # nothing ran here: the state machine runs the tasks

    # a retried request does not start a second execution
    assert conversation(env).coordinate_agents(msg, ["travel", "scraping"]) == record
    assert len(stepfunctions.list_executions(stateMachineArn=machine)["executions"]) == 1

    # the state machine's last step: run the tasks as its Map would, then record
    outcomes = []
    for task in payload["tasks"]:
        stub = env.namespace(task["namespace"]).get_by_name(task["name"])
        result = stub.call(task["method"], *task["args"], idempotency_key=task["idempotencyKey"])
        outcomes.append({"ok": True, "task": task, "result": result})
    done = conversation(env).record_coordination(cid, outcomes)
    assert done["status"] == "completed" and done["executionArn"] == record["executionArn"]
    assert "Paris travel guide" in done["response"]["content"]
    assert conversation(env).get_coordination(cid)["status"] == "completed"
    assert [e["role"] for e in conversation(env).get_state()["conversationHistory"]] == ["user", "agent"]


def test_a_coordinated_agent_that_fails_is_a_failed_branch(
    agent_env: Env, monkeypatch: pytest.MonkeyPatch, wikivoyage: RecordedTransport
) -> None:
    class Broken:
        def extract(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("model unavailable")

    conversation(agent_env).start_conversation("alice", "s1")
    monkeypatch.setattr(TravelAgent, "language_model", Broken())
    msg = message("chat", {"message": "Plan a trip", "urls": [PAGE_URL]})
    record = conversation(agent_env).coordinate_agents(msg, ["travel", "scraping"])
    assert record["status"] == "completed"
    assert [item["agent"] for item in record["failed"]] == ["travel"]
    assert record["failed"][0]["error"] == {"type": "RuntimeError", "cause": "model unavailable"}
    assert "Paris travel guide" in record["response"]["content"]
    assert "Not available right now: travel (RuntimeError)." in record["response"]["content"]


def test_an_agent_can_notify_the_conversation_once_per_message_id(agent_env: Env) -> None:
    send(agent_env, chat("Plan a trip to Rome"))
    stub = conversation(agent_env)
    assert stub.notify("reminder:trip-1", "Your trip to Rome starts in a week.", "reminder") == {
        "added": True,
        "messageId": "reminder:trip-1",
    }
    assert stub.notify("reminder:trip-1", "Your trip to Rome starts in a week.", "reminder")["added"] is False
    turns = stub.transcript()["turns"]
    assert [(t["role"], t["type"], t["content"]) for t in turns[-1:]] == [
        ("agent", "reminder", "Your trip to Rome starts in a week.")
    ]
    with pytest.raises(NotFound):
        conversation(agent_env, "never-started").notify("x", "hello")
