"""The flights tool: Amadeus flight offers (live) and distance-based fare estimates (offline)."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable

from pydantic import BaseModel, Field, field_validator

from . import places
from .amadeus import AmadeusClient
from .dates import travel_date, utc_today
from .models import FlightOffer, FlightParams, FlightSearch, Itinerary, Reply, Source, Tool
from .offline import offline_source, price_in, seeded
from .upstream import parse

NAME = "flights"
DESCRIPTION = (
    "Find flight offers between two places (IATA codes or city names) for a date or a month, "
    "one way or return, with prices for all travellers."
)
OFFERS_PATH = "/v2/shopping/flight-offers"
MAX_OFFERS = 5
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def tool(provider: Callable[[FlightParams], Reply]) -> Tool:
    return Tool(NAME, DESCRIPTION, FlightParams, FlightSearch, provider)


def duration_minutes(iso: str) -> int:
    """Minutes in an ISO 8601 duration such as ``PT14H35M`` or ``P1DT2H``."""
    match = _DURATION.match(iso)
    if match is None or iso in ("P", "PT"):
        raise ValueError(f"not an ISO 8601 duration: {iso!r}")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return days * 1440 + hours * 60 + minutes


# --- live ---------------------------------------------------------------------------------------------


class _Endpoint(BaseModel):
    iataCode: str
    at: str


class _Segment(BaseModel):
    departure: _Endpoint
    arrival: _Endpoint
    carrierCode: str
    number: str


class _Itinerary(BaseModel):
    duration: str
    segments: list[_Segment] = Field(min_length=1)

    @field_validator("duration")
    @classmethod
    def _iso_duration(cls, value: str) -> str:
        duration_minutes(value)
        return value

    def itinerary(self) -> Itinerary:
        first, last = self.segments[0], self.segments[-1]
        return Itinerary(
            departure_airport=first.departure.iataCode,
            arrival_airport=last.arrival.iataCode,
            departure_at=first.departure.at,
            arrival_at=last.arrival.at,
            duration_minutes=duration_minutes(self.duration),
            stops=len(self.segments) - 1,
            flights=[f"{segment.carrierCode}{segment.number}" for segment in self.segments],
        )


class _Price(BaseModel):
    currency: str
    total: float
    grandTotal: float | None = None


class _Offer(BaseModel):
    itineraries: list[_Itinerary] = Field(min_length=1, max_length=2)
    price: _Price
    validatingAirlineCodes: list[str] = []
    numberOfBookableSeats: int | None = None


class _Dictionaries(BaseModel):
    carriers: dict[str, str] = {}


class _Offers(BaseModel):
    data: list[_Offer]
    dictionaries: _Dictionaries = _Dictionaries()  # absent when nothing was found


class AmadeusFlights:
    """Live offers from Amadeus Self-Service ``/v2/shopping/flight-offers``."""

    def __init__(self, client: AmadeusClient, *, today: Callable[[], dt.date] = utc_today) -> None:
        self._client = client
        self._today = today

    def __call__(self, params: FlightParams) -> Reply:
        departure, date_note = travel_date(params.departure_date, params.month, self._today())
        origin = self._client.location_code(params.origin, "CITY,AIRPORT")
        destination = self._client.location_code(params.destination, "CITY,AIRPORT")
        query = [
            ("originLocationCode", origin),
            ("destinationLocationCode", destination),
            ("departureDate", departure.isoformat()),
        ]
        if params.return_date is not None:
            query.append(("returnDate", params.return_date.isoformat()))
        query.append(("adults", str(params.adults)))
        if params.children:
            query.append(("children", str(params.children)))
        query += [("currencyCode", params.currency), ("max", str(MAX_OFFERS))]
        found = parse(_Offers, self._client.get(OFFERS_PATH, query), "amadeus")
        offers = sorted((_offer(raw, found.dictionaries) for raw in found.data), key=lambda o: o.price_total)
        search = FlightSearch(
            origin=origin,
            destination=destination,
            departure_date=departure,
            return_date=params.return_date,
            adults=params.adults,
            children=params.children,
            currency=params.currency,
            offers=offers,
            notes=[date_note] if date_note else [],
        )
        note = (
            "Amadeus test environment: sample fares, not bookable"
            if self._client.is_test_environment
            else "live fares"
        )
        return Reply(
            data=search,
            source=Source(name="amadeus", url="https://developers.amadeus.com/", offline=False, note=note),
        )


def _offer(raw: _Offer, dictionaries: _Dictionaries) -> FlightOffer:
    codes = raw.validatingAirlineCodes or sorted({s.carrierCode for s in raw.itineraries[0].segments})
    return FlightOffer(
        price_total=raw.price.grandTotal if raw.price.grandTotal is not None else raw.price.total,
        currency=raw.price.currency,
        carriers=[dictionaries.carriers.get(code, code).title() for code in codes],
        outbound=raw.itineraries[0].itinerary(),
        inbound=raw.itineraries[1].itinerary() if len(raw.itineraries) > 1 else None,
        bookable_seats=raw.numberOfBookableSeats,
    )


# --- offline ------------------------------------------------------------------------------------------

_CRUISE_KMH = 820.0
_TAXI_MINUTES = 40
_SEASON = {1: 0.9, 2: 0.9, 4: 1.1, 6: 1.1, 7: 1.25, 8: 1.25, 11: 0.9, 12: 1.2}
_CHILD_FARE = 0.75
_DEPARTURE_TIMES = ((6, 40), (8, 15), (10, 5), (12, 50), (15, 20), (17, 45), (20, 10), (22, 35))


class OfflineFlights:
    """Fares estimated from great-circle distance and season; deterministic, no network.

    Local times use a UTC offset estimated from each place's longitude.
    """

    def __init__(self, *, today: Callable[[], dt.date] = utc_today) -> None:
        self._today = today

    def __call__(self, params: FlightParams) -> Reply:
        departure, date_note = travel_date(params.departure_date, params.month, self._today())
        notes = [date_note] if date_note else []
        origin, destination = places.locate(params.origin), places.locate(params.destination)
        rng = seeded(NAME, params.model_dump_json(), departure)
        if origin is not None and destination is not None:
            distance = places.distance_km(
                origin.latitude, origin.longitude, destination.latitude, destination.longitude
            )
        else:
            distance = rng.uniform(800, 9000)
            notes.append("location unknown: distance guessed")
        travellers = params.adults + _CHILD_FARE * params.children
        trip = 1.85 if params.return_date else 1.0
        base_fare = fare_eur(distance) * _SEASON.get(departure.month, 1.0) * travellers * trip
        origin_code = origin.iata if origin and origin.iata else params.origin.upper()
        destination_code = (
            destination.iata if destination and destination.iata else params.destination.upper()
        )
        offset = (_utc_offset(origin), _utc_offset(destination))
        offers: list[FlightOffer] = []
        for stops, factor in ((0, 1.15), (1, 0.92), (1, 0.82)):
            if stops == 0 and distance > 12000:
                continue
            minutes = int(distance / _CRUISE_KMH * 60 + _TAXI_MINUTES + stops * rng.randint(90, 240))
            outbound = _itinerary(origin_code, destination_code, departure, rng, minutes, stops, offset)
            inbound = None
            if params.return_date is not None:
                inbound = _itinerary(
                    destination_code,
                    origin_code,
                    params.return_date,
                    rng,
                    minutes,
                    stops,
                    (offset[1], offset[0]),
                )
            amount, currency = price_in(base_fare * factor * rng.uniform(0.9, 1.15), params.currency)
            offers.append(
                FlightOffer(
                    price_total=amount,
                    currency=currency,
                    outbound=outbound,
                    inbound=inbound,
                    bookable_seats=rng.randint(2, 9),
                )
            )
        if offers[0].currency != params.currency:
            notes.append(f"no offline rate for {params.currency}: prices in EUR")
        search = FlightSearch(
            origin=origin_code,
            destination=destination_code,
            departure_date=departure,
            return_date=params.return_date,
            adults=params.adults,
            children=params.children,
            currency=offers[0].currency,
            offers=sorted(offers, key=lambda o: o.price_total),
            notes=notes,
        )
        return Reply(data=search, source=offline_source())


def fare_eur(distance_km: float) -> float:
    """One adult, one way, economy: short hops cost more per kilometre than long hauls."""
    return 45 + 0.09 * distance_km if distance_km < 1500 else 110 + 0.055 * distance_km


def _utc_offset(place: places.Place | None) -> int:
    return round(place.longitude / 15) if place is not None else 0


def _itinerary(
    origin: str,
    destination: str,
    day: dt.date,
    rng: random.Random,
    minutes: int,
    stops: int,
    offsets: tuple[int, int],
) -> Itinerary:
    hour, minute = rng.choice(_DEPARTURE_TIMES)
    leave = dt.datetime.combine(day, dt.time(hour, minute))
    arrive = leave + dt.timedelta(minutes=minutes, hours=offsets[1] - offsets[0])
    return Itinerary(
        departure_airport=origin,
        arrival_airport=destination,
        departure_at=leave.isoformat(),
        arrival_at=arrive.isoformat(),
        duration_minutes=minutes,
        stops=stops,
    )
