"""The deterministic tool plan."""

from __future__ import annotations

from datetime import date

import pytest

from durable_agents.llm.embedded import EmbeddedLanguageModel
from durable_agents.llm.models import Extraction, Intent, Money, Place, Travellers, TravelSlots

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


def plan_arguments(slots: TravelSlots) -> dict[str, dict[str, object]]:
    extraction = Extraction(intent=Intent.PLAN_TRIP, confidence=1)
    return {call.tool: call.arguments for call in engine.plan(extraction, slots)}


def test_arguments_match_the_tool_parameters() -> None:
    slots = TravelSlots(
        destination=PARIS,
        origin=BOSTON,
        departure_date=date(2027, 6, 3),
        duration_days=7,
        travellers=Travellers(adults=2, children=1),
        budget=Money(amount=3000, currency="USD"),
        interests=["art"],
    ).normalized()
    assert plan_arguments(slots) == {
        "weather": {
            "place": "Paris, FR",
            "latitude": 49.0128,
            "longitude": 2.55,
            "date": "2027-06-03",
            "days": 7,
        },
        "flights": {
            "origin": "BOS",
            "destination": "CDG",
            "departure_date": "2027-06-03",
            "return_date": "2027-06-10",
            "adults": 2,
            "children": 1,
            "currency": "USD",
        },
        "hotels": {
            "city": "Paris, FR",
            "check_in": "2027-06-03",
            "nights": 7,
            "guests": 3,
            "currency": "USD",
        },
        "attractions": {"city": "Paris, FR", "latitude": 49.0128, "longitude": 2.55, "interests": ["art"]},
    }


def test_a_month_is_never_sent_with_a_date_and_lengths_are_capped() -> None:
    arguments = plan_arguments(TravelSlots(destination=PARIS, origin=BOSTON, month=8, duration_days=40))
    assert arguments["weather"] == {
        "place": "Paris, FR",
        "latitude": 49.0128,
        "longitude": 2.55,
        "month": 8,
        "days": 14,
    }
    assert arguments["flights"] == {"origin": "BOS", "destination": "CDG", "month": 8, "adults": 1}
    assert arguments["hotels"] == {"city": "Paris, FR", "nights": 30}


def test_no_flights_to_where_you_already_are() -> None:
    assert tools(Intent.PLAN_TRIP, TravelSlots(destination=PARIS, origin=PARIS)) == ["weather", "attractions"]


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
