"""The live flight and hotel providers (Amadeus Self-Service) against recorded responses."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from durable_agents.http import HttpResponse, HttpTimeout, RecordedTransport
from durable_agents.tools import ToolRegistry, ToolResult, flights, hotels
from durable_agents.tools.amadeus import AmadeusClient

DATA = Path(__file__).parent / "data" / "tools"
TODAY = dt.date(2027, 3, 1)
HOST = "https://test.api.amadeus.com"
TOKEN = f"{HOST}/v1/security/oauth2/token"
OFFERS = (
    f"{HOST}/v2/shopping/flight-offers?originLocationCode=LON&destinationLocationCode=LIS"
    "&departureDate=2027-07-10&returnDate=2027-07-17&adults=1&currencyCode=EUR&max=5"
)
BY_CITY = (
    f"{HOST}/v1/reference-data/locations/hotels/by-city?cityCode=LIS&radius=20&radiusUnit=KM&hotelSource=ALL"
)
HOTEL_OFFERS = (
    f"{HOST}/v3/shopping/hotel-offers?hotelIds=TILIS001%2CRTLIS112%2CBWLIS540&adults=2"
    "&checkInDate=2027-07-10&checkOutDate=2027-07-13&roomQuantity=1&currency=EUR&bestRateOnly=true&priceRange=-150"
)
SECRET = "s3cr3t-client-secret"


def recorded(name: str, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(
        status, "", (DATA / name).read_bytes(), headers or {"Content-Type": "application/json"}
    )


def new_transport(**recordings: Any) -> RecordedTransport:
    transport = RecordedTransport({("POST", TOKEN): recorded("amadeus_token.json")})
    for url, responder in recordings.values():
        transport.add("GET", url, responder)
    return transport


def registry(transport: RecordedTransport) -> ToolRegistry:
    # A fresh client id per test: tokens are cached per process, keyed by host and client id.
    client = AmadeusClient(transport, client_id=f"id-{uuid.uuid4().hex}", client_secret=SECRET, timeout=3)
    return ToolRegistry(
        [
            flights.tool(flights.AmadeusFlights(client, today=lambda: TODAY)),
            hotels.tool(hotels.AmadeusHotels(client, today=lambda: TODAY)),
        ]
    )


def run(transport: RecordedTransport, tool: str, **arguments: Any) -> ToolResult:
    [result] = registry(transport).run_parallel([(tool, arguments)], timeout=5)
    return result


FLIGHT_ARGS = {
    "origin": "London",
    "destination": "LIS",
    "departure_date": "2027-07-10",
    "return_date": "2027-07-17",
}
HOTEL_ARGS = {"city": "Lisbon", "check_in": "2027-07-10", "nights": 3, "guests": 2, "budget_per_night": 150}


def test_flight_offers_are_parsed_and_sorted_by_price() -> None:
    transport = new_transport(offers=(OFFERS, recorded("amadeus_flight_offers_lon_lis.json")))
    result = run(transport, "flights", **FLIGHT_ARGS)
    assert result.ok, result.error
    assert result.source is not None and not result.source.offline
    assert result.source.note == "Amadeus test environment: sample fares, not bookable"
    data = result.data
    assert isinstance(data, dict)
    assert (data["origin"], data["destination"], data["return_date"]) == ("LON", "LIS", "2027-07-17")
    assert [o["price_total"] for o in data["offers"]] == [142.30, 187.46, 215.80]
    cheapest = data["offers"][0]
    assert cheapest["carriers"] == ["Iberia"]
    assert cheapest["outbound"] == {
        "departure_airport": "LGW",
        "arrival_airport": "LIS",
        "departure_at": "2027-07-10T06:00:00",
        "arrival_at": "2027-07-10T10:25:00",
        "duration_minutes": 265,
        "stops": 1,
        "flights": ["IB3167", "IB3102"],
    }
    assert cheapest["inbound"]["flights"] == ["IB7395"] and cheapest["inbound"]["duration_minutes"] == 155
    assert data["offers"][1]["carriers"] == ["Tap Portugal"] and data["offers"][1]["bookable_seats"] == 7

    token_request, offers_request = transport.requests
    assert token_request[0:2] == ("POST", TOKEN)
    assert offers_request[0:2] == ("GET", OFFERS)
    assert offers_request[2]["Authorization"] == "Bearer AnQ2xZ8kQm3TfG1y7hW0pLrVbC5s"


def test_token_request_is_a_client_credentials_grant() -> None:
    bodies: list[bytes] = []

    def token(method: str, url: str, body: bytes | None) -> HttpResponse:
        bodies.append(body or b"")
        return recorded("amadeus_token.json")

    transport = new_transport(offers=(OFFERS, recorded("amadeus_flight_offers_lon_lis.json")))
    transport.add("POST", TOKEN, token)
    assert run(transport, "flights", **FLIGHT_ARGS).ok
    form = parse_qs(bodies[0].decode())
    assert form["grant_type"] == ["client_credentials"] and form["client_secret"] == [SECRET]
    assert transport.requests[0][2]["Content-Type"] == "application/x-www-form-urlencoded"


def test_one_token_serves_flights_and_hotels_in_parallel() -> None:
    transport = new_transport(
        offers=(OFFERS, recorded("amadeus_flight_offers_lon_lis.json")),
        by_city=(BY_CITY, recorded("amadeus_hotels_by_city_lis.json")),
        hotel_offers=(HOTEL_OFFERS, recorded("amadeus_hotel_offers_lis.json")),
    )
    results = registry(transport).run_parallel([("flights", FLIGHT_ARGS), ("hotels", HOTEL_ARGS)], timeout=5)
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    assert [method for method, _, _ in transport.requests].count("POST") == 1


def test_city_names_outside_the_gazetteer_are_looked_up() -> None:
    locations = (
        f"{HOST}/v1/reference-data/locations?subType=CITY%2CAIRPORT&keyword=PORTO"
        "&page%5Blimit%5D=1&view=LIGHT"
    )
    offers = OFFERS.replace("originLocationCode=LON", "originLocationCode=OPO")
    transport = new_transport(
        locations=(locations, recorded("amadeus_locations_porto.json")),
        offers=(offers, recorded("amadeus_flight_offers_empty.json")),
    )
    result = run(transport, "flights", **{**FLIGHT_ARGS, "origin": "Porto, Portugal"})
    assert result.ok, result.error
    assert isinstance(result.data, dict) and result.data["origin"] == "OPO" and result.data["offers"] == []


def test_unknown_city() -> None:
    locations = f"{HOST}/v1/reference-data/locations?subType=CITY&keyword=XANADU&page%5Blimit%5D=1&view=LIGHT"
    transport = new_transport(locations=(locations, recorded("amadeus_locations_empty.json")))
    result = run(transport, "hotels", **{**HOTEL_ARGS, "city": "Xanadu"})
    assert not result.ok and result.error == "Amadeus knows no city or airport named 'Xanadu'"


def test_month_searches_a_representative_day() -> None:
    offers = (
        f"{HOST}/v2/shopping/flight-offers?originLocationCode=NYC&destinationLocationCode=PAR"
        "&departureDate=2027-09-15&adults=2&children=1&currencyCode=USD&max=5"
    )
    transport = new_transport(offers=(offers, recorded("amadeus_flight_offers_empty.json")))
    result = run(
        transport,
        "flights",
        origin="New York",
        destination="Paris",
        month=9,
        adults=2,
        children=1,
        currency="usd",
    )
    assert result.ok, result.error
    assert isinstance(result.data, dict)
    assert result.data["notes"] == ["no exact date: searched 2027-09-15 as a day in September 2027"]


def test_a_refused_cached_token_is_renewed_once() -> None:
    answers = [
        recorded("amadeus_flight_offers_lon_lis.json"),
        recorded("amadeus_error_401_token.json", 401),  # revoked before it expired
        recorded("amadeus_flight_offers_lon_lis.json"),
        recorded("amadeus_error_401_token.json", 401),
    ]
    transport = new_transport(offers=(OFFERS, lambda method, url, body: answers.pop(0)))
    tools = registry(transport)
    first, second = (tools.run_parallel([("flights", FLIGHT_ARGS)], timeout=5)[0] for _ in range(2))
    assert first.ok and second.ok, (first.error, second.error)
    assert [method for method, _, _ in transport.requests] == ["POST", "GET", "GET", "POST", "GET"]
    [third] = registry(transport).run_parallel([("flights", FLIGHT_ARGS)], timeout=5)  # new client id
    assert [method for method, _, _ in transport.requests][5:] == [
        "POST",
        "GET",
    ]  # fresh token refused: no retry
    assert (third.ok, third.error) == (
        False,
        "amadeus answered HTTP 401: Access token expired: "
        "The access token provided in the Authorization header is expired",
    )


def test_tokens_are_renewed_shortly_before_they_expire() -> None:
    now = [1000.0]
    transport = new_transport(offers=(OFFERS, recorded("amadeus_flight_offers_lon_lis.json")))
    client = AmadeusClient(
        transport, client_id=f"id-{uuid.uuid4().hex}", client_secret=SECRET, timeout=3, clock=lambda: now[0]
    )
    tools = ToolRegistry([flights.tool(flights.AmadeusFlights(client, today=lambda: TODAY))])
    for at in (1000.0, 1000.0 + 1799 - 61, 1000.0 + 1799 - 59):  # expires_in 1799, renewed 60 s early
        now[0] = at
        assert tools.run_parallel([("flights", FLIGHT_ARGS)], timeout=5)[0].ok
    assert [method for method, _, _ in transport.requests] == ["POST", "GET", "GET", "POST", "GET"]


def test_invalid_credentials_never_leak_the_secret() -> None:
    transport = new_transport()
    transport.add("POST", TOKEN, recorded("amadeus_token_invalid_client.json", 401))
    result = run(transport, "flights", **FLIGHT_ARGS)
    assert not result.ok
    assert result.error == "amadeus answered HTTP 401: Client credentials are invalid"
    assert [method for method, _, _ in transport.requests] == ["POST"]


def test_hotel_offers_with_budget() -> None:
    transport = new_transport(
        by_city=(BY_CITY, recorded("amadeus_hotels_by_city_lis.json")),
        hotel_offers=(HOTEL_OFFERS, recorded("amadeus_hotel_offers_lis.json")),
    )
    result = run(transport, "hotels", **HOTEL_ARGS)
    assert result.ok, result.error
    data = result.data
    assert isinstance(data, dict)
    assert (data["city_code"], data["check_out"], data["notes"]) == ("LIS", "2027-07-13", [])
    assert data["offers"] == [
        {
            "name": "Ibis Lisboa Liberdade",
            "hotel_id": "RTLIS112",
            "category": "Standard room",
            "price_total": 318.0,
            "price_per_night": 106.0,
            "currency": "EUR",
            "room": "Standard Twin Room",
            "within_budget": True,
            "latitude": 38.72312,
            "longitude": -9.14777,
        },
        {
            "name": "Tivoli Avenida Liberdade",
            "hotel_id": "TILIS001",
            "category": "Superior room",
            "price_total": 534.6,
            "price_per_night": 178.2,
            "currency": "EUR",
            "room": "Superior King Room Free WiFi, city view",
            "within_budget": False,
            "latitude": 38.72096,
            "longitude": -9.14499,
        },
    ]


def test_no_hotels_listed_for_the_city() -> None:
    empty = HttpResponse(200, "", b'{"data": [], "meta": {"count": 0}}')
    transport = new_transport(by_city=(BY_CITY, empty))
    result = run(transport, "hotels", **HOTEL_ARGS)
    assert result.ok and isinstance(result.data, dict)
    assert result.data["offers"] == [] and result.data["notes"] == ["Amadeus lists no hotels for LIS"]


@pytest.mark.parametrize(
    ("responder", "error"),
    [
        (
            recorded("amadeus_error_400.json", 400),
            "amadeus answered HTTP 400: INVALID DATE: Date/Time is in the past",
        ),
        (
            recorded("amadeus_error_500.json", 500),
            "amadeus answered HTTP 500: SYSTEM ERROR HAS OCCURRED: Unable to process",
        ),
        (recorded("amadeus_error_429.json", 429), "amadeus rate limit exceeded (HTTP 429)"),
        (HttpResponse(200, "", b"<html>gateway</html>"), "amadeus answered with malformed JSON"),
        (
            recorded("amadeus_flight_offers_bad_price.json"),
            "amadeus answered with unexpected data (data.0.price.total: Input should be a valid number, "
            "unable to parse string as a number)",
        ),
        (
            HttpResponse(
                200, "", b'{"data": [{"price": {"currency": "EUR", "total": "10"}, "itineraries": []}]}'
            ),
            "amadeus answered with unexpected data (data.0.itineraries: "
            "List should have at least 1 item after validation, not 0)",
        ),
        (HttpTimeout("timed out"), "amadeus did not answer within 3.0s"),
    ],
)
def test_flight_upstream_failures_become_error_results(responder: Any, error: str) -> None:
    transport = new_transport(offers=(OFFERS, responder))
    result = run(transport, "flights", **FLIGHT_ARGS)
    assert (result.ok, result.error) == (False, error)


@pytest.mark.parametrize(
    ("responder", "error"),
    [
        (
            recorded("amadeus_error_500.json", 500),
            "amadeus answered HTTP 500: SYSTEM ERROR HAS OCCURRED: Unable to process",
        ),
        (
            recorded("amadeus_hotel_offers_no_hotel.json"),
            "amadeus answered with unexpected data (data.0.hotel: Field required)",
        ),
        (HttpTimeout("timed out"), "amadeus did not answer within 3.0s"),
    ],
)
def test_hotel_upstream_failures_become_error_results(responder: Any, error: str) -> None:
    transport = new_transport(
        by_city=(BY_CITY, recorded("amadeus_hotels_by_city_lis.json")), hotel_offers=(HOTEL_OFFERS, responder)
    )
    result = run(transport, "hotels", **HOTEL_ARGS)
    assert (result.ok, result.error) == (False, error)


def test_past_dates_are_refused_before_any_request() -> None:
    transport = new_transport()
    result = run(transport, "flights", **{**FLIGHT_ARGS, "departure_date": "2027-02-01", "return_date": None})
    assert (result.ok, result.error) == (False, "2027-02-01 is in the past")
    assert transport.requests == []
