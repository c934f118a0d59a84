"""Slot models: merging turns, what is missing, JSON shape."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from durable_agents.llm.embedded import EmbeddedLanguageModel
from durable_agents.llm.models import Intent, Money, Place, Travellers, TravelSlots

TODAY = date(2026, 11, 24)
PARIS = Place(name="Paris", iata="CDG", city="Paris", country="FR")
ROME = Place(name="Rome", iata="FCO", city="Rome", country="IT")


def test_a_later_message_changes_only_what_it_mentions() -> None:
    engine = EmbeddedLanguageModel()
    first = engine.extract(
        "Plan a trip to Paris for 2 adults in May, budget $3000", known=TravelSlots(), today=TODAY
    )
    slots = TravelSlots().merge(first.slots)
    second = engine.extract("make it 4 people", known=slots, today=TODAY)
    assert second.intent is Intent.UPDATE_DETAILS
    merged = slots.merge(second.slots)
    assert merged.travellers == Travellers(adults=4, children=0)
    assert merged.model_dump(exclude={"travellers"}) == slots.model_dump(exclude={"travellers"})
    assert merged.destination is not None and merged.destination.iata == "CDG"
    assert (merged.month, merged.budget) == (5, Money(amount=3000, currency="USD"))


def test_merge_overrides_per_slot_and_keeps_the_rest() -> None:
    base = TravelSlots(destination=PARIS, budget=Money(amount=1000, currency="EUR"), interests=["food"])
    merged = base.merge(TravelSlots(destination=ROME, interests=["art", "food"]))
    assert merged.destination == ROME
    assert merged.budget == Money(amount=1000, currency="EUR")
    assert merged.interests == ["food", "art"]
    assert base.destination == PARIS  # merge returns a new object


def test_travellers_merge_per_count() -> None:
    base = TravelSlots(travellers=Travellers(adults=2))
    assert base.merge(TravelSlots(travellers=Travellers(children=2))).travellers == Travellers(
        adults=2, children=2
    )
    assert base.merge(TravelSlots(travellers=Travellers(adults=4, children=0))).travellers == Travellers(
        adults=4, children=0
    )


def test_dates_stay_coherent_across_merges() -> None:
    trip = TravelSlots(month=6).merge(
        TravelSlots(departure_date=date(2027, 6, 3), return_date=date(2027, 6, 10))
    )
    assert (trip.month, trip.duration_days) == (None, 7)
    moved = trip.merge(TravelSlots(departure_date=date(2027, 6, 5)))
    assert (moved.departure_date, moved.return_date, moved.duration_days) == (
        date(2027, 6, 5),
        date(2027, 6, 12),
        7,
    )
    longer = trip.merge(TravelSlots(duration_days=10))
    assert (longer.return_date, longer.duration_days) == (date(2027, 6, 13), 10)
    to_month = trip.merge(TravelSlots(month=7))
    assert (to_month.month, to_month.departure_date, to_month.return_date) == (7, None, None)
    later_return = trip.merge(TravelSlots(return_date=date(2027, 6, 12)))
    assert (later_return.departure_date, later_return.duration_days) == (date(2027, 6, 3), 9)


@pytest.mark.parametrize(
    ("slots", "intent", "missing"),
    [
        (TravelSlots(), Intent.PLAN_TRIP, ["destination", "origin", "dates"]),
        (TravelSlots(destination=PARIS), Intent.PLAN_TRIP, ["origin", "dates"]),
        (TravelSlots(destination=PARIS, month=5), Intent.FIND_FLIGHTS, ["origin"]),
        (TravelSlots(destination=PARIS, origin=ROME), Intent.FIND_FLIGHTS, []),
        (TravelSlots(destination=PARIS), Intent.FIND_HOTELS, ["dates"]),
        (TravelSlots(destination=PARIS, duration_days=3), Intent.FIND_HOTELS, []),
        (TravelSlots(), Intent.WEATHER, ["destination"]),
        (TravelSlots(), Intent.GREETING, []),
    ],
)
def test_missing_slots(slots: TravelSlots, intent: Intent, missing: list[str]) -> None:
    assert slots.missing(intent) == missing


def test_json_is_camel_case_and_round_trips() -> None:
    slots = TravelSlots(
        destination=PARIS, departure_date=date(2027, 6, 3), duration_days=5, travellers=Travellers(adults=2)
    )
    data = slots.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert data["departureDate"] == "2027-06-03" and data["durationDays"] == 5
    assert TravelSlots.model_validate(data) == slots
    assert TravelSlots.model_validate({"duration_days": 5}).duration_days == 5


@pytest.mark.parametrize(
    "bad",
    [
        {"month": 13},
        {"budget": {"amount": 5, "currency": "dollars"}},
        {"destination": {"name": "X", "iata": "cdg"}},
    ],
)
def test_invalid_slots_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TravelSlots.model_validate(bad)


def test_out_of_range_values_are_clamped_or_dropped_not_refused() -> None:
    slots = TravelSlots.model_validate(
        {
            "interests": ["skydiving", "food", "food"],
            "travellers": {"adults": 52, "children": -1},
            "budget": {"amount": 1e12, "currency": "USD"},
            "destination": {"name": "X" * 500},
        }
    )
    assert slots.interests == ["food"]
    assert slots.travellers == Travellers(adults=20, children=0)
    assert slots.budget is not None and slots.budget.amount == 10_000_000
    assert slots.destination is not None and len(slots.destination.name) == 80


def test_descriptions() -> None:
    assert Money(amount=2500, currency="EUR").describe() == "€2,500"
    assert Money(amount=99.5, currency="CHF").describe() == "99.50 CHF"
    assert Travellers(adults=2, children=1).describe() == "2 adults, 1 child"
    assert Travellers(children=2).total == 3
