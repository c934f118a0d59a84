"""The gazetteer: curated destinations, countries, the airport database, lazy loading."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from durable_agents.llm.countries import COUNTRIES, country_name
from durable_agents.llm.destinations import DESTINATIONS
from durable_agents.llm.gazetteer import AIRPORTS_FILE, gazetteer, normalize, read_airports
from durable_agents.llm.regions import REGIONS
from durable_agents.tools import places


@pytest.mark.parametrize(
    ("name", "iata", "country"),
    [
        ("Paris", "CDG", "FR"),
        ("paris", "CDG", "FR"),
        ("New York", "JFK", "US"),
        ("NYC", "JFK", "US"),
        ("Boston", "BOS", "US"),
        ("Tokyo", "HND", "JP"),
        ("LA", "LAX", "US"),
        ("SF", "SFO", "US"),
        ("Venice", "VCE", "IT"),
        ("Toronto", "YYZ", "CA"),
        ("São Paulo", "GRU", "BR"),
        ("Zürich", "ZRH", "CH"),
        ("St. Louis", "STL", "US"),
        ("Japan", "HND", "JP"),
        ("United Kingdom", "LHR", "GB"),
        ("USA", "JFK", "US"),
        # not curated: the airport database's city, its international airport preferred
        ("Columbus", "CMH", "US"),
        ("Bozeman", "BZN", "US"),
        ("Osaka", "KIX", "JP"),
        ("ORY", "ORY", "FR"),
    ],
)
def test_lookup(name: str, iata: str, country: str) -> None:
    place = gazetteer().lookup(name)
    assert place is not None and (place.iata, place.country) == (iata, country)
    assert place.lat is not None and place.lon is not None


def test_exact_case_aliases_and_unknown_names() -> None:
    index = gazetteer()
    assert index.lookup("la") is None  # "LA" only in capitals
    assert index.lookup("us") is None
    assert index.lookup("Atlantis") is None


def test_airport_codes_are_named_after_their_destination() -> None:
    place = gazetteer().airport("ory")
    assert place is not None and (place.name, place.iata, place.city) == ("Paris", "ORY", "Paris")


def test_fallback_skips_heliports_and_air_bases() -> None:
    place = gazetteer().lookup("Anchorage")
    assert place is not None and place.iata == "ANC"  # not Elmendorf AFB or Merrill Field


@pytest.mark.parametrize("table", [DESTINATIONS, COUNTRIES, REGIONS])
def test_every_curated_airport_exists(table: str) -> None:
    airports = read_airports()
    codes = [line.split("|")[1 if table is DESTINATIONS else 2] for line in table.strip().splitlines()]
    assert len(codes) > 25
    assert [code for code in codes if code not in airports] == []


@pytest.mark.parametrize(
    ("name", "iata", "region"),
    [
        ("Birmingham, Alabama", "BHM", "Alabama"),
        ("Birmingham, UK", "BHX", "England"),
        ("Portland, Maine", "PWM", "Maine"),
        ("Portland, OR", "PDX", "Oregon"),
        ("Paris, TX", "PRX", "Texas"),
        ("London, Ontario", "YXU", "Ontario"),
        ("Springfield, Illinois", "SPI", "Illinois"),
    ],
)
def test_a_qualifier_picks_the_place_in_that_state_or_country(name: str, iata: str, region: str) -> None:
    place = gazetteer().lookup(name)
    assert place is not None and (place.iata, place.region) == (iata, region)


def test_countries_and_regions_lead_to_concrete_places() -> None:
    index = gazetteer()
    greece, amalfi = index.lookup("Greece"), index.lookup("the Amalfi coast")
    assert greece is not None and greece.kind == "country"
    assert [stop.name for stop in index.stops_for(greece)][:2] == ["Athens", "Santorini"]
    assert amalfi is not None and amalfi.kind == "region" and amalfi.iata == "NAP"
    assert [stop.name for stop in index.stops_for(amalfi)] == ["Sorrento", "Positano", "Amalfi"]


def test_the_tools_resolve_places_through_the_same_gazetteer() -> None:
    maine = places.locate("Portland, Maine")
    assert maine is not None and maine.iata == "PWM" and maine.tier == 2  # from the country
    paris = places.locate("Paris")
    assert paris is not None and paris.iata == "PAR"  # the city code


@pytest.mark.skipif(importlib.util.find_spec("airportsdata") is None, reason="airportsdata is dev-only")
def test_the_committed_airport_table_is_what_the_build_script_makes() -> None:
    from scripts import build_airports

    assert AIRPORTS_FILE.read_text(encoding="utf-8") == build_airports.build()


def test_country_names() -> None:
    assert country_name("gb") == "United Kingdom"
    assert country_name("JP") == "Japan"
    assert country_name("XX") is None


def test_normalize() -> None:
    assert normalize("  São  Paulo ") == "sao paulo"
    assert normalize("St. Louis") == "st louis"
    assert normalize("Dallas-Fort Worth") == "dallas fort worth"


def test_importing_the_package_loads_no_data_and_no_boto3() -> None:
    heavy = ("airportsdata", "boto3", "botocore", "durable_agents.llm.embedded")
    code = f"import sys, durable_agents.llm; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).parents[1] / "shared")},
    )
    assert result.stdout.strip() == "[]"


def test_resolving_places_never_loads_airportsdata() -> None:
    code = (
        "import sys; from durable_agents.llm.gazetteer import gazetteer;"
        "from durable_agents.tools import places;"
        "gazetteer().lookup('Paris'); places.locate('Bozeman'); print('airportsdata' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).parents[1] / "shared")},
    )
    assert result.stdout.strip() == "False"


def test_every_curated_destination_resolves_back_from_the_name_plans_give_the_tools() -> None:
    """Plans name a stop "Berlin, DE", "Delhi, IN", "Marrakech, MA": the ISO country code, which is also
    a state's abbreviation (Delaware, Indiana, Massachusetts); the curated city must win, and a state
    still qualifies a town of its own ("Dover, DE", "Portland, ME")."""
    for place in gazetteer().destinations():
        found = gazetteer().lookup(place.query())
        assert found is not None and (found.name, found.iata) == (place.name, place.iata), place.query()
    for text, expected in [
        ("Dover, DE", ("ILG", "US")),
        ("Portland, ME", ("PWM", "US")),
        ("Boise, ID", ("BOI", "US")),
    ]:
        found = gazetteer().lookup(text)
        assert found is not None and (found.iata, found.country) == expected, text
