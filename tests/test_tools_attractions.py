"""The live attractions provider (OpenTripMap) against recorded responses, and the offline dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_agents.http import HttpError, HttpResponse, HttpTimeout, RecordedTransport
from durable_agents.tools import ToolRegistry, ToolResult, attractions
from durable_agents.tools.attractions import OfflineAttractions, OpenTripMapAttractions, categories_for
from durable_agents.tools.landmarks import LANDMARKS
from durable_agents.tools.places import locate

DATA = Path(__file__).parent / "data" / "tools"
KEY = "otm-key-5ae2e3f2"
GEONAME = f"https://api.opentripmap.com/0.1/en/places/geoname?name=Lisbon&apikey={KEY}"
RADIUS = (
    "https://api.opentripmap.com/0.1/en/places/radius?radius=10000&lon=-9.13333&lat=38.71667"
    f"&kinds=museums%2Chistoric&rate=2&format=json&limit=30&apikey={KEY}"
)


def recorded(name: str, status: int = 200) -> HttpResponse:
    return HttpResponse(status, "", (DATA / name).read_bytes(), {"Content-Type": "application/json"})


def run(transport: RecordedTransport, **arguments: Any) -> ToolResult:
    provider = OpenTripMapAttractions(transport, api_key=KEY, timeout=3)
    [result] = ToolRegistry([attractions.tool(provider)]).run_parallel(
        [("attractions", arguments)], timeout=5
    )
    return result


def test_places_are_deduplicated_ranked_and_categorised() -> None:
    transport = RecordedTransport(
        {
            ("GET", GEONAME): recorded("opentripmap_geoname_lisbon.json"),
            ("GET", RADIUS): recorded("opentripmap_radius_lisbon.json"),
        }
    )
    result = run(transport, city="Lisbon", interests=["Museums", "history"], limit=10)
    assert result.ok, result.error
    assert result.source is not None and (result.source.name, result.source.offline) == ("opentripmap", False)
    data = result.data
    assert isinstance(data, dict) and (data["latitude"], data["longitude"]) == (38.71667, -9.13333)
    assert [(a["name"], a["category"], a["rating"]) for a in data["attractions"]] == [
        ("Museu Calouste Gulbenkian", "museum", 7),  # best rated first, nearest first among equals
        ("Mosteiro dos Jerónimos", "religion", 7),
        ("Torre de Belém", "history", 7),  # the lower-rated duplicate is dropped
        ("Oceanário de Lisboa", "museum", 6),
        ("Miradouro de Santa Luzia", "viewpoint", 3),  # the nameless place is dropped
    ]
    first = data["attractions"][0]
    assert first["url"] == "https://www.wikidata.org/wiki/Q1054553" and first["distance_m"] == 2143
    assert data["attractions"][4]["url"] == "https://opentripmap.com/en/card/N1715218302"


def test_given_coordinates_skip_geocoding_and_limit_applies() -> None:
    radius = RADIUS.replace("kinds=museums%2Chistoric&rate=2", "kinds=foods&rate=1").replace(
        "limit=30", "limit=6"
    )
    radius = radius.replace("lon=-9.13333&lat=38.71667", "lon=-9.10000&lat=38.70000")
    transport = RecordedTransport({("GET", radius): recorded("opentripmap_radius_lisbon.json")})
    result = run(
        transport, city="Lisbon", latitude=38.7, longitude=-9.1, interests=["street food", "zorbing"], limit=2
    )
    assert result.ok, result.error
    assert isinstance(result.data, dict) and len(result.data["attractions"]) == 2
    assert result.data["notes"] == ["interests not understood: zorbing"]
    assert len(transport.requests) == 1


def test_unknown_city() -> None:
    geoname = GEONAME.replace("Lisbon", "Xqzvb")
    for status in (404, 200):  # a miss has been answered both ways
        transport = RecordedTransport(
            {("GET", geoname): recorded("opentripmap_geoname_not_found.json", status)}
        )
        result = run(transport, city="Xqzvb")
        assert (result.ok, result.error) == (False, "opentripmap found no place named 'Xqzvb'")


@pytest.mark.parametrize(
    ("responder", "error"),
    [
        (recorded("opentripmap_error_401.json", 401), "opentripmap answered HTTP 401: Unknown API key"),
        (HttpResponse(500, "", b""), "opentripmap answered HTTP 500"),
        (HttpResponse(429, "", b"Too Many Requests"), "opentripmap rate limit exceeded (HTTP 429)"),
        (HttpResponse(200, "", b'[{"xid": '), "opentripmap answered with malformed JSON"),
        (
            HttpResponse(200, "", b'{"type": "FeatureCollection", "features": []}'),
            "opentripmap answered with unexpected data (body: Input should be a valid list)",
        ),
        (HttpTimeout("timed out"), "opentripmap did not answer within 3.0s"),
        (
            HttpError(f"GET {RADIUS} failed: [Errno 111] Connection refused"),
            "opentripmap request failed: GET https://api.opentripmap.com/0.1/en/places/radius?radius=10000"
            "&lon=-9.13333&lat=38.71667&kinds=museums%2Chistoric&rate=2&format=json&limit=30&apikey=***"
            " failed: "
            "[Errno 111] Connection refused",
        ),
    ],
)
def test_upstream_failures_become_error_results_without_the_key(responder: Any, error: str) -> None:
    transport = RecordedTransport(
        {("GET", GEONAME): recorded("opentripmap_geoname_lisbon.json"), ("GET", RADIUS): responder}
    )
    result = run(transport, city="Lisbon", interests=["museums", "history"], limit=10)
    assert (result.ok, result.error) == (False, error)
    assert KEY not in (result.error or "")


def test_interests_map_to_categories() -> None:
    assert categories_for(["Museums", "street food", "beaches", "knitting"]) == (
        ["museum", "art", "food", "beach"],
        ["knitting"],
    )
    assert categories_for([]) == ([], [])


def test_offline_dataset_is_keyed_as_the_gazetteer_names_and_codes_its_cities() -> None:
    for key in LANDMARKS:
        airport, _, name = key.partition(" ")
        place = locate(name)
        assert place is not None and (place.airport, place.name) == (airport, name)
    assert len(LANDMARKS) >= 30 and all(len(entries) >= 5 for entries in LANDMARKS.values())


def test_offline_attractions_follow_interests_and_are_labelled() -> None:
    registry = ToolRegistry([attractions.tool(OfflineAttractions())])
    [paris, again, rome, generic] = registry.run_parallel(
        [
            ("attractions", {"city": "Paris", "interests": ["food"], "limit": 3}),
            ("attractions", {"city": "Paris", "interests": ["food"], "limit": 3}),
            ("attractions", {"city": "roma", "interests": ["beach"]}),
            ("attractions", {"city": "Amarillo", "interests": ["museums"], "limit": 4}),
        ],
        timeout=3,
    )
    assert all(r.ok and r.source and r.source.offline for r in (paris, rome, generic))
    assert paris.data == again.data
    assert isinstance(paris.data, dict)
    assert [a["name"] for a in paris.data["attractions"]] == [
        "Marché des Enfants Rouges",
        "Louvre Museum",
        "Eiffel Tower",
    ]
    assert (paris.data["latitude"], paris.data["longitude"]) == pytest.approx((48.86, 2.35), abs=0.3)  # CDG
    assert isinstance(rome.data, dict) and rome.data["city"] == "Rome"
    assert rome.data["notes"] == ["nothing matched the interests: the main sights instead"]
    assert isinstance(generic.data, dict) and generic.data["notes"] == [
        "no curated list for Amarillo: generic suggestions"
    ]
    assert generic.data["attractions"][0]["name"] == "Amarillo city museum"
    assert len(generic.data["attractions"]) == 4
