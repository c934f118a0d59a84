"""Facts a traveller would not laugh at: every curated destination's record (climate normals, its own
sights), the offline weather described from the normals, and trains between stops a rail link joins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from durable_agents.llm.gazetteer import gazetteer
from durable_agents.llm.replies import plan_text
from durable_agents.tools import places
from durable_agents.tools.attractions import OfflineAttractions
from durable_agents.tools.destination import destination_of, destinations, key
from durable_agents.tools.landmarks import GENERIC
from durable_agents.tools.models import AttractionParams, WeatherParams
from durable_agents.tools.rail import all_links, rail_link
from durable_agents.tools.weather import OfflineWeather
from tests.test_planner_agent import plan_for

TODAY = dt.date(2026, 3, 10)
GENERIC_NAMES = {title.split("{city}")[-1].strip() for title, _, _ in GENERIC}
"""The generic fillers' fixed words ("Old town walking tour", "city museum", ...)."""


def _generic(name: str) -> bool:
    return any(filler and filler in name for filler in GENERIC_NAMES)


def _weather(place: str, month: int) -> Any:
    reply = OfflineWeather(today=lambda: TODAY)(WeatherParams(place=place, month=month))
    return reply.data


def test_every_curated_destination_has_a_record_with_twelve_months_and_four_sights_of_its_own() -> None:
    curated = gazetteer().destinations()
    records = destinations()
    assert len(curated) >= 270
    assert {key(p.iata or "", p.name) for p in curated} == set(records)
    for record in records.values():
        assert len(record.climate) == 12, record.key
        assert all(month.high_c > month.low_c and month.precipitation_mm >= 0 for month in record.climate)
        assert len(record.sights) >= 4, record.key
        assert not any(_generic(name) for name, _, _ in record.sights), record.key


@pytest.mark.parametrize(
    ("place", "month", "high", "low"),
    [
        ("Kyoto", 4, 20, 9),  # JMA 1991-2020: 20.1 / 8.9
        ("Tokyo", 8, 31, 24),
        ("London", 7, 24, 14),
        ("Paris", 1, 7, 3),
        ("New York", 7, 29, 21),
        ("Reykjavik", 1, 2, -3),
        ("Dubai", 7, 41, 30),
        ("Sydney", 7, 17, 8),
        ("Singapore", 1, 30, 24),
        ("Cape Town", 1, 26, 16),
    ],
)
def test_the_offline_weather_reads_the_published_normals(place: str, month: int, high: int, low: int) -> None:
    summary = _weather(place, month).summary
    assert summary.temp_high_c == pytest.approx(high, abs=2) and summary.temp_low_c == pytest.approx(
        low, abs=2
    )


def test_the_description_is_what_a_traveller_would_say_of_the_season() -> None:
    kyoto = _weather("Kyoto", 4)
    assert kyoto.summary.description.startswith("mild (highs around 20°C")  # was "hot (highs around 27°C"
    assert kyoto.notes == ["typical for these dates: Kyoto's monthly climate normals"]
    assert _weather("Reykjavik", 1).summary.description.startswith("cold")
    assert _weather("Dubai", 7).summary.description.startswith("hot")
    assert _weather("Dubai", 7).summary.description.endswith("mostly dry")
    sydney_july, sydney_january = _weather("Sydney", 7).summary, _weather("Sydney", 1).summary
    assert sydney_july.description.split()[0] in ("cool", "mild") and sydney_july.temp_high_c < 19
    assert sydney_january.description.split()[0] in ("warm", "hot")  # southern summer
    assert _weather("Mumbai", 7).summary.description.endswith("very wet")  # the monsoon
    assert _weather("Lima", 7).summary.description.endswith("mostly dry")


def test_a_stay_across_two_months_weighs_each_by_its_days() -> None:
    record = destinations()["KIX Kyoto"]
    march, april = record.climate[2], record.climate[3]
    both = record.normals(dt.date(2027, 3, 30), dt.date(2027, 4, 4))  # 2 days of March, 4 of April
    assert both.high_c == pytest.approx((2 * march.high_c + 4 * april.high_c) / 6)
    rain = (2 * march.precipitation_mm / 31 + 4 * april.precipitation_mm / 30) / 6
    assert both.low_c == pytest.approx((2 * march.low_c + 4 * april.low_c) / 6)
    assert both.precipitation_mm == pytest.approx(rain)


def test_a_namesake_gets_no_record_and_keeps_the_estimate() -> None:
    texas, france = places.locate("Paris, Texas"), places.locate("Paris, FR")
    assert texas is not None and france is not None
    assert destination_of(texas) is None
    record = destination_of(france)
    assert record is not None and record.key == "CDG Paris"
    texas_weather = OfflineWeather(today=lambda: TODAY)(WeatherParams(place="Paris, Texas", month=7)).data
    assert texas_weather.notes == [] and texas_weather.summary.temp_high_c != record.climate[6].high_c


def test_every_curated_destination_gets_its_own_sights_not_generic_filler() -> None:
    tool = OfflineAttractions()
    for place in gazetteer().destinations():
        found = tool(AttractionParams(city=place.query(), limit=20)).data
        assert not any("generic" in note for note in found.notes), place.name
        assert len(found.attractions) >= 4 and not any(_generic(a.name) for a in found.attractions), (
            place.name
        )


def test_kyoto_days_name_its_temples_and_shrines() -> None:
    plan = plan_for("Plan 5 nights in Kyoto from London April 14-19 for 2 adults")
    items = [item.name for day in plan.itinerary for item in day.items]
    assert not any(_generic(name) for name in items), items
    for sight in ("Fushimi Inari Taisha", "Kinkaku-ji (Golden Pavilion)", "Kiyomizu-dera"):
        assert sight in items
    assert plan.weather[0].summary.startswith("mild (highs around 20°C")
    assert not any("generic" in note for note in plan.notes)


def test_rail_links_join_curated_destinations_in_about_four_hours_at_most() -> None:
    records = destinations()
    for link in all_links():
        assert link.origin in records and link.destination in records, link
        assert 0 < link.minutes <= 270 and link.fare_eur > 0
    there, back = rail_link("HND Tokyo", "KIX Kyoto"), rail_link("KIX Kyoto", "HND Tokyo")
    assert there is not None and back is not None
    assert (back.origin, back.destination, back.minutes) == ("KIX Kyoto", "HND Tokyo", there.minutes)
    assert there.duration() == "2 h 15 min" and rail_link("HND Tokyo", "CDG Paris") is None


def test_a_multi_stop_trip_goes_by_train_where_rail_beats_flying() -> None:
    plan = plan_for("Tokyo then Kyoto then Osaka, 3 nights each, from London on April 10, 2 adults")
    assert [stop.name for stop in plan.stops] == ["Tokyo", "Kyoto", "Osaka"]
    assert [(f.leg, f.from_, f.to) for f in plan.flights] == [
        ("outbound", "LHR", "HND"),
        ("return", "KIX", "LHR"),
    ]  # never HND -> KIX
    [shinkansen, local] = plan.trains
    assert (shinkansen.from_, shinkansen.to, shinkansen.date) == ("Tokyo", "Kyoto", dt.date(2026, 4, 13))
    assert shinkansen.service == "Tokaido Shinkansen" and shinkansen.duration_minutes == 135
    assert shinkansen.total.amount == pytest.approx(2 * shinkansen.price_per_person.amount, abs=0.01)
    assert (local.from_, local.to, local.duration_minutes) == ("Kyoto", "Osaka", 30)
    costs = plan.costs
    assert costs.trains is not None and costs.trains.amount == pytest.approx(
        shinkansen.total.amount + local.total.amount, abs=0.01
    )
    assert costs.total.amount == pytest.approx(
        costs.flights.amount + costs.hotels.amount + costs.trains.amount, abs=0.01
    )
    kyoto = next(day for day in plan.itinerary if day.title == "Travel to Kyoto")
    assert kyoto.items[0].name == "Train Tokyo → Kyoto" and kyoto.items[0].kind == "train"
    assert "Tokaido Shinkansen, about 2 h 15 min" in (kyoto.items[0].note or "")
    text = plan_text(plan)
    assert "**Trains**" in text and "Tokyo → Kyoto, Tokaido Shinkansen, about 2 h 15 min" in text
    assert f"+ trains {costs.trains.describe()}" in text


@pytest.mark.parametrize(
    ("request_text", "service"),
    [
        ("London then Paris then Amsterdam, 2 nights each, from New York on May 4, 2 adults", "Eurostar"),
        ("Madrid then Barcelona, 3 nights each, from Chicago on May 4, 1 adult", "AVE"),
    ],
)
def test_european_corridors_go_by_train(request_text: str, service: str) -> None:
    plan = plan_for(request_text)
    assert [flight.leg for flight in plan.flights] == ["outbound", "return"]
    assert plan.trains and all(train.service == service for train in plan.trains)
    assert len(plan.trains) == len(plan.stops) - 1


def test_a_far_pair_without_rail_still_flies() -> None:
    plan = plan_for("Paris then Rome, 3 nights each, from Chicago on May 4, 2 adults")
    assert [flight.leg for flight in plan.flights] == ["outbound", "between", "return"]
    assert plan.trains == [] and plan.costs.trains is None


def test_a_trip_from_a_city_a_rail_link_reaches_goes_out_and_back_by_train() -> None:
    plan = plan_for("Plan 4 nights in Paris from London May 4-8 for 2 adults")
    assert plan.flights == [] and plan.costs.flights.amount == 0
    assert [(t.leg, t.from_, t.to, t.date, t.service) for t in plan.trains] == [
        ("outbound", "London", "Paris", dt.date(2026, 5, 4), "Eurostar"),
        ("return", "Paris", "London", dt.date(2026, 5, 8), "Eurostar"),
    ]
    first, last = plan.itinerary[0], plan.itinerary[-1]
    assert first.items[0].name == "Train London → Paris" and last.items[-1].name == "Train Paris → London"
    text = plan_text(plan)
    assert "none: every journey is by train" in text and "tell me where you're travelling from" not in text
