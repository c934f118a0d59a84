"""The deterministic tool plan."""

from __future__ import annotations

from datetime import date

import pytest

from durable_agents.llm.embedded import EmbeddedLanguageModel
from durable_agents.llm.models import Extraction, Intent, Money, Place, TravelSlots, Travellers

PARIS = Place(name="Paris", iata="CDG", city="Paris", country="FR", lat=49.0128, lon=2.55)
BOSTON = Place(name="Boston", iata="BOS", city="Boston", country="US", lat=42.36, lon=-71.0)
engine = EmbeddedLanguageModel()


def tools(intent: Intent, slots: TravelSlots, query: str | None = None) -> list[str]:
    return [call.tool for call in engine.plan(Extraction(intent=intent, confidence=0.9, query=query), slots)]


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        (TravelSlots(), []),
        (TravelSlots(destination=PARIS), ["weather", "attractions"]),
        (TravelSlots(destination=PARIS, origin=BOSTON), ["weather", "flights", "attractions"]),
        (TravelSlots(destination=PARIS, month=5), ["weather", "hotels", "attractions"]),
        (
            TravelSlots(destination=PARIS, origin=BOSTON, duration_days=4),
            ["weather", "flights", "hotels", "attractions"],
        ),
    ],
)
def test_a_trip_plan_grows_with_what_is_known(slots: TravelSlots, expected: list[str]) -> None:
    assert tools(Intent.PLAN_TRIP, slots) == expected
    assert tools(Intent.UPDATE_DETAILS, slots) == expected


@pytest.mark.parametrize(
    ("intent", "slots", "expected"),
    [
        (Intent.WEATHER, TravelSlots(destination=PARIS), ["weather"]),
        (Intent.ATTRACTIONS, TravelSlots(destination=PARIS), ["attractions"]),
        (Intent.FIND_FLIGHTS, TravelSlots(destination=PARIS), []),
        (Intent.FIND_FLIGHTS, TravelSlots(destination=PARIS, origin=BOSTON), ["flights"]),
        (Intent.FIND_HOTELS, TravelSlots(destination=PARIS), []),
        (Intent.FIND_HOTELS, TravelSlots(destination=PARIS, month=6), ["hotels"]),
        (Intent.GREETING, TravelSlots(destination=PARIS), []),
        (Intent.UNKNOWN, TravelSlots(destination=PARIS), []),
    ],
)
def test_a_specific_intent_calls_its_tool(intent: Intent, slots: TravelSlots, expected: list[str]) -> None:
    assert tools(intent, slots) == expected


def test_arguments_are_json_ready() -> None:
    slots = TravelSlots(
        destination=PARIS,
        origin=BOSTON,
        departure_date=date(2027, 6, 3),
        duration_days=7,
        travellers=Travellers(adults=2, children=1),
        budget=Money(amount=3000, currency="USD"),
        interests=["art"],
    ).normalized()
    calls = {
        call.tool: call.arguments
        for call in engine.plan(Extraction(intent=Intent.PLAN_TRIP, confidence=1), slots)
    }
    assert calls["flights"] == {
        "origin": "BOS",
        "destination": "CDG",
        "origin_name": "Boston",
        "destination_name": "Paris",
        "departure_date": "2027-06-03",
        "return_date": "2027-06-10",
        "adults": 2,
        "children": 1,
        "max_price": 3000.0,
        "currency": "USD",
    }
    assert calls["hotels"]["check_in"] == "2027-06-03" and calls["hotels"]["check_out"] == "2027-06-10"
    assert calls["hotels"]["nights"] == 7
    assert calls["weather"] == {
        "location": "Paris",
        "country": "FR",
        "lat": 49.0128,
        "lon": 2.55,
        "start_date": "2027-06-03",
        "end_date": "2027-06-10",
    }
    assert calls["attractions"]["interests"] == ["art"]


def test_search_adds_the_destination_to_the_query() -> None:
    [call] = engine.plan(
        Extraction(intent=Intent.SEARCH, confidence=0.8, query="do I need a visa?"),
        TravelSlots(destination=PARIS),
    )
    assert call.arguments == {"query": "do I need a visa? Paris"}
    [call] = engine.plan(
        Extraction(intent=Intent.SEARCH, confidence=0.8, query="Paris metro hours"),
        TravelSlots(destination=PARIS),
    )
    assert call.arguments == {"query": "Paris metro hours"}


def test_a_whole_conversation_plans_with_merged_slots() -> None:
    today = date(2026, 11, 24)
    first = engine.extract("Plan a trip to Paris", known=TravelSlots(), today=today)
    slots = TravelSlots().merge(first.slots)
    assert [call.tool for call in engine.plan(first, slots)] == ["weather", "attractions"]
    second = engine.extract("from Boston, June 3-10, make it 4 people", known=slots, today=today)
    slots = slots.merge(second.slots)
    calls = {call.tool: call.arguments for call in engine.plan(second, slots)}
    assert list(calls) == ["weather", "flights", "hotels", "attractions"]
    assert (calls["flights"]["origin"], calls["flights"]["adults"]) == ("BOS", 4)
