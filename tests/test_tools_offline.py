"""Offline flight and hotel estimates, the gazetteer, and the date rules every provider shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from durable_agents.tools import FlightParams, HotelParams, ToolRegistry, ToolResult, flights, hotels, places
from durable_agents.tools.dates import shift_years, travel_date
from durable_agents.tools.errors import ToolError
from durable_agents.tools.flights import OfflineFlights, duration_minutes
from durable_agents.tools.hotels import OfflineHotels
from durable_agents.tools.offline import price_in, seeded

TODAY = dt.date(2027, 3, 1)
REGISTRY = ToolRegistry(
    [flights.tool(OfflineFlights(today=lambda: TODAY)), hotels.tool(OfflineHotels(today=lambda: TODAY))]
)


def run(tool: str, **arguments: Any) -> dict[str, Any]:
    [result] = REGISTRY.run_parallel([(tool, arguments)], timeout=3)
    assert result.ok, result.error
    assert result.source is not None and result.source.offline
    assert (result.source.name, result.source.note) == ("offline-estimate", "offline estimate, not live data")
    assert result.data is not None and isinstance(result.data, dict)
    return result.data


def cheapest(data: dict[str, Any]) -> float:
    return min(offer["price_total"] for offer in data["offers"])


def test_flights_are_deterministic() -> None:
    args = {"origin": "LON", "destination": "Rome", "departure_date": "2027-05-02", "adults": 2}
    assert run("flights", **args) == run("flights", **args)
    assert run("flights", **args) != run("flights", **{**args, "departure_date": "2027-05-03"})


def test_fares_grow_with_distance_travellers_and_return_trips() -> None:
    base = {"origin": "London", "departure_date": "2027-05-04"}
    paris = run("flights", destination="Paris", **base)
    sydney = run("flights", destination="Sydney", **base)
    assert cheapest(sydney) > 4 * cheapest(paris)
    assert all(o["outbound"]["stops"] >= 1 for o in sydney["offers"])  # ~17,000 km: no non-stop
    assert 40 <= cheapest(paris) <= 150
    family = run("flights", destination="Paris", adults=2, children=2, **base)
    assert cheapest(family) > 2.5 * cheapest(paris) * 0.9 / 1.15
    back = run("flights", destination="Paris", return_date="2027-05-09", **base)
    assert cheapest(back) > 1.4 * cheapest(paris)
    assert all(o["inbound"]["departure_airport"] == "PAR" for o in back["offers"])


def test_flight_times_follow_distance_and_time_zones() -> None:
    data = run("flights", origin="LON", destination="NYC", departure_date="2027-05-04")
    nonstop = next(o for o in data["offers"] if o["outbound"]["stops"] == 0)
    leg = nonstop["outbound"]
    assert 6 * 60 <= leg["duration_minutes"] <= 8 * 60
    leave, arrive = (
        dt.datetime.fromisoformat(leg["departure_at"]),
        dt.datetime.fromisoformat(leg["arrival_at"]),
    )
    assert arrive - leave == dt.timedelta(minutes=leg["duration_minutes"], hours=-5)  # New York is UTC-5


def test_flights_in_other_currencies_and_unknown_places() -> None:
    data = run("flights", origin="Paris", destination="Tokyo", month=10, currency="JPY")
    assert data["currency"] == "JPY" and cheapest(data) > 50_000
    assert data["departure_date"] == "2027-10-15"
    assert data["notes"] == ["no exact date: searched 2027-10-15 as a day in October 2027"]
    odd = run("flights", origin="Paris", destination="Nowhereville", currency="XOF")
    assert odd["destination"] == "NOWHEREVILLE" and odd["currency"] == "EUR"
    assert odd["notes"] == [
        "no date given: searched 2027-03-29, four weeks ahead",
        "location unknown: distance guessed",
        "no offline rate for XOF: prices in EUR",
    ]


def test_hotel_prices_follow_city_tier_and_season() -> None:
    def mid_range(city: str, check_in: str = "2027-05-10") -> float:
        data = run("hotels", city=city, check_in=check_in)
        return min(o["price_per_night"] for o in data["offers"] if o["category"] == "mid-range")

    assert mid_range("London") > 2 * mid_range("Bangkok")
    assert mid_range("Paris", "2027-08-10") > mid_range("Paris", "2027-05-10") * 0.95
    data = run("hotels", city="Vienna", check_in="2027-05-10", nights=4)
    assert data["check_out"] == "2027-05-14" and data["city_code"] == "VIE"
    assert [o["category"] for o in data["offers"]].count("upscale") == 2
    for offer in data["offers"]:
        assert offer["price_total"] == pytest.approx(offer["price_per_night"] * 4, abs=0.01)
    prices = [o["price_per_night"] for o in data["offers"]]
    assert prices == sorted(prices)


def test_hotel_budget_and_party_size() -> None:
    data = run("hotels", city="Rome", check_in="2027-05-10", budget_per_night=150)
    assert data["offers"] and all(o["within_budget"] and o["price_per_night"] <= 150 for o in data["offers"])
    tight = run("hotels", city="Rome", check_in="2027-05-10", budget_per_night=10)
    assert len(tight["offers"]) == 2 and not any(o["within_budget"] for o in tight["offers"])
    assert tight["notes"] == ["nothing within budget: the cheapest options instead"]
    group = run("hotels", city="Rome", check_in="2027-05-10", guests=5)
    assert group["notes"] == ["priced as 3 rooms for 5 guests"]
    assert group["offers"][0]["room"] == "3 double rooms"


def test_hotels_in_unknown_cities_use_a_generic_price_level() -> None:
    data = run("hotels", city="Smalltown, Nowhere", check_in="2027-05-10")
    assert data["city"] == "Smalltown, Nowhere" and data["city_code"] is None
    assert data["notes"] == ["price level of 'Smalltown, Nowhere' unknown: generic estimate"]
    assert data["offers"][0]["name"] == "Smalltown, Nowhere Budget Inn"


def test_past_dates_are_errors() -> None:
    [result] = REGISTRY.run_parallel([("hotels", {"city": "Rome", "check_in": "2027-02-27"})], timeout=2)
    assert (result.ok, result.error) == (False, "2027-02-27 is in the past")


def test_travel_date_rules() -> None:
    assert travel_date(dt.date(2027, 4, 1), None, TODAY) == (dt.date(2027, 4, 1), None)
    assert travel_date(None, 3, dt.date(2027, 3, 20))[0] == dt.date(2027, 3, 20)  # late in this month: today
    assert travel_date(None, 2, TODAY)[0] == dt.date(2028, 2, 15)  # February has passed: next year's
    with pytest.raises(ToolError, match="in the past"):
        travel_date(dt.date(2027, 2, 28), None, TODAY)
    assert shift_years(dt.date(2028, 2, 29), -1) == dt.date(2027, 2, 28)


def test_places() -> None:
    assert places.city("lisboa") == places.city("Lisbon, Portugal") == places.city("lis")
    zurich = places.locate("Zürich")
    assert zurich is not None and zurich.iata == "ZRH"  # from airportsdata
    fiumicino = places.locate("FCO")
    assert fiumicino is not None and fiumicino.country == "IT"
    assert places.locate("Qwxyzville") is None
    mexico_city = places.mentioned_city("hotels near the Mexico City airport?")
    assert mexico_city is not None and mexico_city.name == "Mexico City"
    assert places.mentioned_city("nothing here") is None
    assert places.distance_km(51.5074, -0.1278, 40.7128, -74.0060) == pytest.approx(5570, rel=0.01)


def test_shared_helpers() -> None:
    assert duration_minutes("PT14H35M") == 875 and duration_minutes("P1DT2H") == 1560
    with pytest.raises(ValueError):
        duration_minutes("PT")
    assert seeded("a", 1).random() == seeded("a", 1).random() != seeded("a", 2).random()
    assert price_in(100, "USD") == (108.0, "USD") and price_in(100, "XXX") == (100, "EUR")


def test_params_models_normalise_input() -> None:
    params = FlightParams(origin=" lis ", destination="Paris", currency=" usd ")
    assert (params.origin, params.currency) == ("lis", "USD")
    assert HotelParams(city="Rome").nights == 3


def results_by_tool(results: list[ToolResult]) -> dict[str, ToolResult]:
    return {result.tool: result for result in results}


def test_offline_registry_answers_all_five_tools_quickly() -> None:
    from durable_agents.tools import offline_registry

    calls: list[tuple[str, dict[str, Any]]] = [
        ("weather", {"place": "Lisbon", "month": 7}),
        ("flights", {"origin": "LHR", "destination": "Lisbon", "month": 7, "adults": 2}),
        ("hotels", {"city": "Lisbon", "nights": 4, "budget_per_night": 150}),
        ("attractions", {"city": "Lisbon", "interests": ["food", "views"]}),
        ("search", {"query": "Lisbon tram 28 tips"}),
    ]
    results = results_by_tool(offline_registry().run_parallel(calls, timeout=5))
    assert set(results) == {"weather", "flights", "hotels", "attractions", "search"}
    assert all(result.ok for result in results.values())
    attractions = results["attractions"].data
    assert isinstance(attractions, dict) and attractions["attractions"][0]["category"] == "food"


def test_what_is_known_of_a_city_by_name_belongs_to_that_curated_destination_only() -> None:
    """Sights, food and transit notes, price levels and metropolitan codes are keyed by a curated
    destination's name: each key is one, and a namesake elsewhere (Paris, Texas) gets none of them."""
    from durable_agents.llm.gazetteer import gazetteer
    from durable_agents.llm.local import LOCAL, local_facts
    from durable_agents.tools import places
    from durable_agents.tools.landmarks import LANDMARKS

    curated = {place.name for place in gazetteer().destinations()}
    for table in (LOCAL, places.CITY_TIERS, places.CITY_CODES):
        assert set(table) <= curated, set(table) - curated
    keys = {f"{place.iata} {place.name}" for place in gazetteer().destinations()}
    assert set(LANDMARKS) <= keys, set(LANDMARKS) - keys  # sights are keyed by code and name
    texas, france = places.locate("Paris, Texas"), places.locate("Paris, FR")
    assert texas is not None and france is not None
    assert (texas.country, texas.curated, texas.iata) == ("US", False, "PRX")
    assert (france.country, france.curated, france.iata) == ("FR", True, "PAR")
    assert texas.tier == places.COUNTRY_TIERS["US"] and france.tier == places.CITY_TIERS["Paris"]
    assert local_facts("Paris", "US") is None and local_facts("Paris", "FR") is not None
