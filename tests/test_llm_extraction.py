"""The embedded engine's extraction: a table of real-looking messages with every slot they state."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from durable_agents.llm.embedded import EmbeddedLanguageModel
from durable_agents.llm.models import Extraction, Intent, Place, TravelSlots

TODAY = date(2026, 11, 24)  # a Tuesday
KNOWN_PARIS = TravelSlots(destination=Place(name="Paris", iata="CDG", city="Paris", country="FR"))


def summary(extraction: Extraction) -> dict[str, Any]:
    """The extraction as a flat dict of what was found (absent keys = nothing found)."""
    slots = extraction.slots
    found: dict[str, Any] = {"intent": extraction.intent.value}
    for role in ("destination", "origin"):
        place = getattr(slots, role)
        if place is not None:
            found[role] = place.iata
    for name in ("departure_date", "return_date", "month", "duration_days"):
        if getattr(slots, name) is not None:
            found[name] = getattr(slots, name)
    if slots.travellers is not None:
        if slots.travellers.adults is not None:
            found["adults"] = slots.travellers.adults
        if slots.travellers.children is not None:
            found["children"] = slots.travellers.children
    if slots.budget is not None:
        found["budget"] = (slots.budget.amount, slots.budget.currency)
    if slots.interests:
        found["interests"] = list(slots.interests)
    if extraction.reminder is not None:
        found["reminder"] = extraction.reminder.model_dump(exclude_defaults=True)
    if extraction.watch is not None:
        below = extraction.watch.below
        found["watch"] = (extraction.watch.tool, (below.amount, below.currency) if below else None)
    if extraction.alerts is not None:
        found["alerts"] = (extraction.alerts.kind, extraction.alerts.every, extraction.alerts.number)
    return found


def d(text: str) -> date:
    return date.fromisoformat(text)


CASES: list[tuple[str, dict[str, Any]]] = [
    ("Plan a trip to Paris", {"intent": "plan_trip", "destination": "CDG"}),
    (
        "I want to fly from Boston to New York next Friday",
        {"intent": "find_flights", "origin": "BOS", "destination": "JFK", "departure_date": d("2026-12-04")},
    ),
    ("What's the weather like in Tokyo in May?", {"intent": "weather", "destination": "HND", "month": 5}),
    (
        "Find hotels in Rome from June 3 to June 10",
        {
            "intent": "find_hotels",
            "destination": "FCO",
            "departure_date": d("2027-06-03"),
            "return_date": d("2027-06-10"),
            "duration_days": 7,
        },
    ),
    (
        "Things to do in Barcelona for a family of four",
        {"intent": "attractions", "destination": "BCN", "adults": 2, "children": 2},
    ),
    ("Hi there!", {"intent": "greeting"}),
    ("Thanks!", {"intent": "greeting"}),
    ("What can you do?", {"intent": "greeting"}),
    ("Do I need a visa for Japan?", {"intent": "search", "destination": "HND"}),
    ("make it 4 people", {"intent": "update_details", "adults": 4, "children": 0}),
    (
        "5-day trip to Lisbon in May for 2 adults",
        {"intent": "plan_trip", "destination": "LIS", "month": 5, "duration_days": 5, "adults": 2},
    ),
    (
        "A weekend in Nice with my wife",
        {"intent": "plan_trip", "destination": "NCE", "duration_days": 2, "adults": 2},
    ),
    ("Nice to meet you!", {"intent": "unknown"}),
    (
        "Flights from JFK to LHR on 2027-01-15",
        {"intent": "find_flights", "origin": "JFK", "destination": "LHR", "departure_date": d("2027-01-15")},
    ),
    (
        "Cheap flights NYC to LA on 12/20",
        {"intent": "find_flights", "origin": "JFK", "destination": "LAX", "departure_date": d("2026-12-20")},
    ),
    (
        "SF to Vegas this weekend",
        {"intent": "plan_trip", "origin": "SFO", "destination": "LAS", "departure_date": d("2026-11-28")},
    ),
    (
        "I'm planning a honeymoon in Bali for two weeks in March, budget €5,000",
        {
            "intent": "plan_trip",
            "destination": "DPS",
            "month": 3,
            "duration_days": 14,
            "adults": 2,
            "children": 0,
            "budget": (5000.0, "EUR"),
        },
    ),
    (
        "Hotels in Paris for 3 nights starting tomorrow",
        {
            "intent": "find_hotels",
            "destination": "CDG",
            "departure_date": d("2026-11-25"),
            "return_date": d("2026-11-28"),
            "duration_days": 3,
        },
    ),
    (
        "We're a family of 5 looking for beaches and theme parks in Orlando",
        {
            "intent": "plan_trip",
            "destination": "MCO",
            "adults": 2,
            "children": 3,
            "interests": ["beaches", "family"],
        },
    ),
    (
        "Budget of 2k GBP for a week in Rome",
        {"intent": "plan_trip", "destination": "FCO", "duration_days": 7, "budget": (2000.0, "GBP")},
    ),
    (
        "Trip to Madrid under 1500 euros",
        {"intent": "plan_trip", "destination": "MAD", "budget": (1500.0, "EUR")},
    ),
    (
        "Vacation in Cancun with 2 kids, around $3000",
        {"intent": "plan_trip", "destination": "CUN", "children": 2, "budget": (3000.0, "USD")},
    ),
    (
        "solo trip to Iceland in two weeks",
        {
            "intent": "plan_trip",
            "destination": "KEF",
            "departure_date": d("2026-12-08"),
            "adults": 1,
            "children": 0,
        },
    ),
    (
        "me and 2 friends want to go to Amsterdam for nightlife and museums",
        {"intent": "plan_trip", "destination": "AMS", "adults": 3, "interests": ["museums", "nightlife"]},
    ),
    (
        "Flying out of Chicago on the 3rd of June",
        {"intent": "find_flights", "origin": "ORD", "departure_date": d("2027-06-03")},
    ),
    (
        "What's the weather in Split next week?",
        {"intent": "weather", "destination": "SPU", "departure_date": d("2026-11-30")},
    ),
    (
        "Show me things to do in Kyoto, we love temples, food and hiking",
        {"intent": "attractions", "destination": "KIX", "interests": ["food", "hiking", "culture"]},
    ),
    (
        "Plan a long weekend in Prague for me and my girlfriend",
        {"intent": "plan_trip", "destination": "PRG", "duration_days": 3, "adults": 2},
    ),
    (
        "Trip to Seoul December 20-27",
        {
            "intent": "plan_trip",
            "destination": "ICN",
            "departure_date": d("2026-12-20"),
            "return_date": d("2026-12-27"),
            "duration_days": 7,
        },
    ),
    (
        "Paris from Dec 28 to Jan 4",
        {
            "intent": "plan_trip",
            "destination": "CDG",
            "departure_date": d("2026-12-28"),
            "return_date": d("2027-01-04"),
            "duration_days": 7,
        },
    ),
    (
        "Book a hotel in London for 2 adults and 1 child from 06/03 to 06/10",
        {
            "intent": "find_hotels",
            "destination": "LHR",
            "departure_date": d("2027-06-03"),
            "return_date": d("2027-06-10"),
            "duration_days": 7,
            "adults": 2,
            "children": 1,
        },
    ),
    ("How hot is it in Dubai in August?", {"intent": "weather", "destination": "DXB", "month": 8}),
    (
        "Any good museums in Madrid?",
        {"intent": "attractions", "destination": "MAD", "interests": ["museums"]},
    ),
    ("Recommend restaurants in Lima", {"intent": "food", "destination": "LIM", "interests": ["food"]}),
    ("somewhere sunny in April", {"intent": "suggest", "month": 4}),
    ("anything cheaper?", {"intent": "cheaper"}),
    ("are we still within budget?", {"intent": "budget_check"}),
    ("how do we get around Lisbon?", {"intent": "transport", "destination": "LIS"}),
    ("show me the whole plan again", {"intent": "show_plan"}),
    ("where do we stand so far?", {"intent": "recap"}),
    (
        "I live in Denver and want to visit Lisbon in April",
        {"intent": "plan_trip", "origin": "DEN", "destination": "LIS", "month": 4},
    ),
    ("Can you search for the best time to visit Peru?", {"intent": "search", "destination": "LIM"}),
    ("May I ask what currency they use in Thailand?", {"intent": "search", "destination": "BKK"}),
    (
        "Hello, plan a trip to Berlin for 3 people in early July",
        {"intent": "plan_trip", "destination": "BER", "month": 7, "adults": 3, "children": 0},
    ),
    (
        "Round trip flights Boston to Paris, leaving March 3 and back March 10",
        {
            "intent": "find_flights",
            "origin": "BOS",
            "destination": "CDG",
            "departure_date": d("2027-03-03"),
            "return_date": d("2027-03-10"),
            "duration_days": 7,
        },
    ),
    (
        "a 10-day trip to Peru and Bolivia for four travellers with a budget of 4000 dollars",
        {
            "intent": "plan_trip",
            "destination": "LIM",
            "duration_days": 10,
            "adults": 4,
            "children": 0,
            "budget": (4000.0, "USD"),
        },
    ),
    ("asdfgh", {"intent": "unknown"}),
    (
        "Weather in Reykjavík tomorrow",
        {"intent": "weather", "destination": "KEF", "departure_date": d("2026-11-25")},
    ),
    (
        "Fly from São Paulo to Buenos Aires on 15 January",
        {"intent": "find_flights", "origin": "GRU", "destination": "EZE", "departure_date": d("2027-01-15")},
    ),
    (
        "Visiting Marrakech the day after tomorrow for 3 nights",
        {
            "intent": "plan_trip",
            "destination": "RAK",
            "departure_date": d("2026-11-26"),
            "return_date": d("2026-11-29"),
            "duration_days": 3,
        },
    ),
    (
        "Plan an itinerary for Hawaii with my husband, we're into hiking, beaches and spa",
        {
            "intent": "plan_trip",
            "destination": "HNL",
            "adults": 2,
            "interests": ["beaches", "hiking", "wellness"],
        },
    ),
    ("Where should I stay in Tokyo?", {"intent": "find_hotels", "destination": "HND"}),
    (
        "Going to Chicago next month with 3 kids",
        {"intent": "plan_trip", "destination": "ORD", "month": 12, "children": 3},
    ),
    ("Trip to Turkey in September", {"intent": "plan_trip", "destination": "IST", "month": 9}),
    ("I'd like to eat turkey in Paris", {"intent": "plan_trip", "destination": "CDG", "interests": ["food"]}),
    (
        "Book flights for 2 from LAX to HNL on Dec 5",
        {
            "intent": "find_flights",
            "origin": "LAX",
            "destination": "HNL",
            "departure_date": d("2026-12-05"),
            "adults": 2,
            "children": 0,
        },
    ),
    (
        "We are 3 adults travelling from Toronto to Mexico City in mid-January for about 2500 CAD",
        {
            "intent": "plan_trip",
            "origin": "YYZ",
            "destination": "MEX",
            "month": 1,
            "adults": 3,
            "budget": (2500.0, "CAD"),
        },
    ),
    (
        "Weekend getaway to Edinburgh on Friday, 3 grand max",
        {
            "intent": "plan_trip",
            "destination": "EDI",
            "departure_date": d("2026-11-27"),
            "return_date": d("2026-11-29"),
            "duration_days": 2,
            "budget": (3000.0, "USD"),
        },
    ),
    ("Is Bozeman nice in summer? Flying to Bozeman soon", {"intent": "find_flights", "destination": "BZN"}),
    ("hotels near JFK for tonight", {"intent": "find_hotels", "destination": "JFK", "departure_date": TODAY}),
    ("Trip to the US in june 2025", {"intent": "plan_trip", "destination": "JFK"}),
    ("remind me a week before we leave", {"intent": "remind", "reminder": {"days_before": 7}}),
    (
        "Remind me to pack on the morning we fly",
        {"intent": "remind", "reminder": {"days_before": 0, "about": "to pack"}},
    ),
    (
        "remind me the day before we fly home to check out",
        {"intent": "remind", "reminder": {"days_before": 1, "before_return": True, "about": "to check out"}},
    ),
    (
        "set a reminder for December 20 at 6pm to book the taxi",
        {
            "intent": "remind",
            "reminder": {"on_date": d("2026-12-20"), "hour": 18, "minute": 0, "about": "to book the taxi"},
        },
    ),
    (
        "remind me in 2 hours to call the hotel",
        {"intent": "remind", "reminder": {"in_seconds": 7200, "about": "to call the hotel"}},
    ),
    (
        "tell me if flights to Rome drop under 800",
        {"intent": "watch_price", "destination": "FCO", "watch": ("flights", (800.0, "USD"))},
    ),
    (
        "let me know when flights from Boston to Paris in March are below €450",
        {
            "intent": "watch_price",
            "origin": "BOS",
            "destination": "CDG",
            "month": 3,
            "watch": ("flights", (450.0, "EUR")),
        },
    ),
    (
        "watch hotel prices in Lisbon under 120 a night",
        {"intent": "watch_price", "destination": "LIS", "watch": ("hotels", (120.0, "USD"))},
    ),
    ("what reminders do I have?", {"intent": "list_alerts", "alerts": ("reminder", False, None)}),
    ("What am I watching?", {"intent": "list_alerts", "alerts": ("watch", False, None)}),
    ("stop watching prices", {"intent": "cancel_alerts", "alerts": ("watch", True, None)}),
    ("cancel reminder 2", {"intent": "cancel_alerts", "alerts": ("reminder", False, 2)}),
    ("cancel all reminders", {"intent": "cancel_alerts", "alerts": ("reminder", True, None)}),
    (
        "Let's go to Berlin 2027-06-03 through 2027-06-08",
        {
            "intent": "plan_trip",
            "destination": "BER",
            "departure_date": d("2027-06-03"),
            "return_date": d("2027-06-08"),
            "duration_days": 5,
        },
    ),
]


@pytest.fixture(scope="module")
def engine() -> EmbeddedLanguageModel:
    return EmbeddedLanguageModel()


@pytest.mark.parametrize(("message", "expected"), CASES, ids=[message[:40] for message, _ in CASES])
def test_extraction_table(engine: EmbeddedLanguageModel, message: str, expected: dict[str, Any]) -> None:
    assert summary(engine.extract(message, known=TravelSlots(), today=TODAY)) == expected


def test_the_table_is_large_and_varied() -> None:
    assert len(CASES) >= 45
    assert {Intent(case["intent"]) for _, case in CASES} == set(Intent)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Let's do Rome instead", {"intent": "update_details", "destination": "FCO"}),
        ("Actually from Boston", {"intent": "update_details", "origin": "BOS"}),
        ("June 3", {"intent": "update_details", "departure_date": d("2027-06-03")}),
        ("with 2 kids", {"intent": "update_details", "children": 2}),
        ("we also like wine", {"intent": "update_details", "interests": ["wine"]}),
    ],
)
def test_details_given_later_are_updates(
    engine: EmbeddedLanguageModel, message: str, expected: dict[str, Any]
) -> None:
    assert summary(engine.extract(message, known=KNOWN_PARIS, today=TODAY)) == expected


def test_places_carry_country_and_coordinates(engine: EmbeddedLanguageModel) -> None:
    slots = engine.extract("Flights from New York to Paris", known=TravelSlots(), today=TODAY).slots
    assert slots.destination == Place(
        name="Paris", iata="CDG", city="Paris", country="FR", lat=49.013, lon=2.55
    )
    assert slots.origin is not None and (slots.origin.name, slots.origin.country) == ("New York", "US")
    assert slots.origin.lat == pytest.approx(40.64, abs=0.01)


def test_spans_point_at_the_words_that_were_understood(engine: EmbeddedLanguageModel) -> None:
    message = "Plan a trip to Paris on June 3 for 2 adults, budget $3000"
    spans = engine.extract(message, known=TravelSlots(), today=TODAY).spans
    assert [(span.slot, span.text) for span in spans] == [
        ("destination", "Paris"),
        ("dates", "June 3"),
        ("travellers", "2 adults"),
        ("budget", "budget $3000"),
    ]
    assert all(message[span.start : span.end] == span.text for span in spans)


def test_search_query_drops_filler(engine: EmbeddedLanguageModel) -> None:
    extraction = engine.extract(
        "Can you search for the best time to visit Peru?", known=TravelSlots(), today=TODAY
    )
    assert extraction.query == "the best time to visit Peru?"
    assert engine.extract("Plan a trip to Peru", known=TravelSlots(), today=TODAY).query is None


@pytest.mark.parametrize("today", [date(2026, 1, 1), date(2026, 6, 3), date(2026, 12, 31), date(2028, 2, 29)])
@pytest.mark.parametrize(
    "message",
    [
        "June 3",
        "3rd of June",
        "in May",
        "February 29",
        "next Friday",
        "Dec 28 to Jan 4",
        "06/03",
        "this weekend",
    ],
)
def test_dates_are_never_in_the_past(engine: EmbeddedLanguageModel, today: date, message: str) -> None:
    slots = engine.extract(f"Trip to Rome {message}", known=TravelSlots(), today=today).slots
    for value in (slots.departure_date, slots.return_date):
        assert value is None or value >= today
    assert slots.departure_date is not None or slots.month is not None


def test_a_month_that_has_passed_means_next_year(engine: EmbeddedLanguageModel) -> None:
    slots = engine.extract("Rome on March 3", known=TravelSlots(), today=TODAY).slots
    assert slots.departure_date == date(2027, 3, 3)
    slots = engine.extract("Rome on December 3", known=TravelSlots(), today=TODAY).slots
    assert slots.departure_date == date(2026, 12, 3)


@pytest.mark.parametrize(
    ("words", "count"),
    [
        ("one", 1),
        ("seven", 7),
        ("twelve", 12),
        ("fifteen", 15),
        ("nineteen", 19),
        ("twenty", 20),
        ("twenty-one", 21),
    ],
)
def test_number_words(engine: EmbeddedLanguageModel, words: str, count: int) -> None:
    extraction = engine.extract(f"{words} people, {words} days in Rome", known=TravelSlots(), today=TODAY)
    slots = extraction.slots
    assert slots.travellers is not None and slots.travellers.adults == min(count, 20)  # parties are capped
    assert bool(extraction.warnings) == (count > 20)
    assert slots.duration_days == count


@pytest.mark.parametrize(
    ("message", "amount", "currency"),
    [
        ("$3000", 3000, "USD"),
        ("3000 USD", 3000, "USD"),
        ("€2,500", 2500, "EUR"),
        ("under 1500 euros", 1500, "EUR"),
        ("budget of 2k GBP", 2000, "GBP"),
        ("¥200,000", 200000, "JPY"),
        ("C$1,200.50", 1200.5, "CAD"),
        ("my budget is 4000", 4000, "USD"),
        ("flights under $500 and a total budget of $3,000", 3000, "USD"),
    ],
)
def test_budgets(engine: EmbeddedLanguageModel, message: str, amount: float, currency: str) -> None:
    budget = engine.extract(f"Rome, {message}", known=TravelSlots(), today=TODAY).slots.budget
    assert budget is not None and (budget.amount, budget.currency) == (amount, currency)


@pytest.mark.parametrize(
    "message",
    [
        "The weather is nice",
        "I may go somewhere",
        "Price check please",
        "Reading about travel",
        "Turkey sandwiches",
    ],
)
def test_ordinary_words_are_not_places_or_months(engine: EmbeddedLanguageModel, message: str) -> None:
    slots = engine.extract(message, known=TravelSlots(), today=TODAY).slots
    assert (slots.destination, slots.origin, slots.month) == (None, None, None)
