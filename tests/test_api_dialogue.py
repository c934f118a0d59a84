"""A conversation with the trip in hand at its centre, through the HTTP API (``POST /chat``) on the stack
as ``make run`` serves it: questions about the trip are answered from the trip, a thank-you keeps it,
and neither runs a tool (no web search of the user's words) nor changes the trip's slots."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api_client import ApiClient

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


def say(api: ApiClient, text: str, session: str | None) -> dict[str, Any]:
    reply = api.chat(text, session=session, user="dialogue")
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


def slots_of(api: ApiClient, session: str) -> dict[str, Any]:
    view = api.send("GET", f"/sessions/{session}", headers={"X-User-Id": "dialogue"}).json()
    slots: dict[str, Any] = view["slots"]
    return slots


def test_a_recap_question_and_a_thanks_are_answered_from_the_trip_without_a_search(api: ApiClient) -> None:
    first = say(api, "Plan a week in Lisbon from New York in September for 2 adults", None)
    session = first["sessionId"]
    assert first["data"]["plan"] is not None
    budget = say(api, "budget is 3000 USD", session)
    assert budget["data"]["slots"]["budget"] == {"amount": 3000, "currency": "USD"}
    slots = slots_of(api, session)

    recap = say(api, "what do you have so far?", session)
    assert recap["metadata"]["intent"] == "recap"
    assert recap["metadata"]["toolsUsed"] == []
    assert "Lisbon" in recap["content"] and "2 adults" in recap["content"]
    assert "budget" in recap["content"] and "Search results" not in recap["content"]
    assert slots_of(api, session) == slots

    thanks = say(api, "great, thanks", session)
    assert thanks["metadata"]["intent"] == "greeting" and thanks["metadata"]["toolsUsed"] == []
    assert "not sure" not in thanks["content"] and "Lisbon" in thanks["content"]
    assert thanks["data"]["plan"] == recap["data"]["plan"]
    assert slots_of(api, session) == slots

    enough = say(api, "is that enough?", session)
    assert enough["metadata"]["intent"] == "budget_check" and enough["metadata"]["toolsUsed"] == []
    assert "3,000" in enough["content"] or "3000" in enough["content"]
    assert slots_of(api, session) == slots
