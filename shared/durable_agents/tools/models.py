"""The tools' boundary models: what a call takes (parameters), what it gives back (data), and the result.

Every tool has one parameter model (validated before its provider runs, and published as the JSON
schema an LLM fills in) and one data model, shared by its live and offline providers so that the
agent reads the same shape whichever provider answered. A provider returns a :class:`Reply`; the
registry validates it against the tool's data model and wraps it in a :class:`ToolResult`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Currency = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"),
    Field(description="ISO 4217 currency code, e.g. EUR, USD, GBP."),
]
PlaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


# --- results ------------------------------------------------------------------------------------------


class Source(BaseModel):
    """Where a tool's data came from, for attribution and for telling live data from estimates."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Provider name, e.g. 'open-meteo', 'amadeus', 'offline-estimate'.")
    url: str | None = Field(default=None, description="Human-facing page of the provider (no secrets).")
    offline: bool = Field(description="True when the data is an offline estimate, not live data.")
    note: str = Field(default="", description="Caveats: estimate, climate instead of forecast, fallback.")


class ToolResult(BaseModel):
    """The outcome of one tool call. Never raised: failures are ``ok=False`` with an ``error``."""

    tool: str
    ok: bool
    data: dict[str, Any] | list[Any] | None = None
    source: Source | None = Field(default=None, description="Set whenever a provider answered.")
    error: str | None = None
    elapsed_ms: float = Field(ge=0)


class Reply(BaseModel):
    """What a provider returns: its data (checked by the registry against the tool's data model)."""

    model_config = ConfigDict(frozen=True)

    data: Any
    source: Source

    def with_note(self, note: str) -> Reply:
        """A copy whose source note starts with ``note``."""
        joined = f"{note}; {self.source.note}" if self.source.note else note
        return self.model_copy(update={"source": self.source.model_copy(update={"note": joined})})


@dataclass(frozen=True)
class Tool:
    """A tool an agent can call: its parameters, its data shape, and the provider that answers."""

    name: str
    description: str
    params: type[BaseModel]
    result: type[BaseModel]
    provider: Callable[[Any], Reply]


# --- parameters ---------------------------------------------------------------------------------------


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise ValueError("give both latitude and longitude, or neither")


class WeatherParams(_Params):
    """Weather for a place: a forecast when the dates are close enough, a climate estimate otherwise."""

    place: PlaceName = Field(description="City or place name, optionally with country: 'Lisbon, Portugal'.")
    latitude: Latitude | None = Field(default=None, description="Skips geocoding when given with longitude.")
    longitude: Longitude | None = None
    date: dt.date | None = Field(default=None, description="First day of interest (YYYY-MM-DD).")
    month: int | None = Field(default=None, ge=1, le=12, description="A month (1-12) instead of a date.")
    days: int = Field(default=3, ge=1, le=14, description="Number of days from `date` (or from today).")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_coordinates(self.latitude, self.longitude)
        if self.date is not None and self.month is not None:
            raise ValueError("give a date or a month, not both")
        return self


class FlightParams(_Params):
    """Flight offers between two places, one way or return."""

    origin: PlaceName = Field(description="IATA airport/city code (LHR, NYC) or a city name.")
    destination: PlaceName = Field(description="IATA airport/city code or a city name.")
    departure_date: dt.date | None = Field(default=None, description="Outbound date (YYYY-MM-DD).")
    month: int | None = Field(
        default=None, ge=1, le=12, description="Travel month (1-12) when no exact date is known."
    )
    return_date: dt.date | None = Field(default=None, description="Return date; omit for one way.")
    adults: int = Field(default=1, ge=1, le=9)
    children: int = Field(default=0, ge=0, le=8, description="Travellers aged 2-11.")
    currency: Currency = "EUR"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.origin.casefold() == self.destination.casefold():
            raise ValueError("origin and destination are the same")
        if self.departure_date is not None and self.month is not None:
            raise ValueError("give a departure_date or a month, not both")
        if self.return_date is not None:
            if self.departure_date is None:
                raise ValueError("a return_date needs a departure_date")
            if self.return_date < self.departure_date:
                raise ValueError("return_date is before departure_date")
        if self.adults + self.children > 9:
            raise ValueError("at most 9 seated travellers (adults + children)")
        return self


class HotelParams(_Params):
    """Hotel offers in a city for a stay."""

    city: PlaceName = Field(description="City name or IATA city code.")
    check_in: dt.date | None = Field(default=None, description="Check-in date; default four weeks ahead.")
    nights: int = Field(default=3, ge=1, le=30)
    guests: int = Field(default=2, ge=1, le=9, description="Adults staying.")
    budget_per_night: float | None = Field(default=None, gt=0, description="Upper price per night.")
    currency: Currency = "EUR"


class AttractionParams(_Params):
    """Things to see and do in a city, matched to the traveller's interests."""

    city: PlaceName
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    interests: list[
        Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=40)]
    ] = Field(default_factory=list, max_length=10, description="e.g. museums, food, history, nature.")
    limit: int = Field(default=10, ge=1, le=50)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_coordinates(self.latitude, self.longitude)
        return self


class SearchParams(_Params):
    """A web search for travel information."""

    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
    limit: int = Field(default=5, ge=1, le=20)


# --- data ---------------------------------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: list[str] = Field(default_factory=list, description="Assumptions the provider made.")


class WeatherDay(BaseModel):
    date: dt.date
    temp_max_c: float | None = None
    temp_min_c: float | None = None
    precipitation_mm: float | None = None
    precipitation_probability_pct: float | None = None
    condition: str | None = None


class WeatherSummary(BaseModel):
    temp_high_c: float = Field(description="Mean daily high.")
    temp_low_c: float = Field(description="Mean daily low.")
    precipitation_mm_per_day: float
    wet_days_pct: float | None = Field(default=None, description="Share of days with at least 1 mm.")
    description: str


class WeatherReport(_Data):
    place: str
    country: str | None = None
    latitude: float
    longitude: float
    kind: Literal["forecast", "climate"]
    start: dt.date
    end: dt.date
    summary: WeatherSummary
    days: list[WeatherDay] = Field(default_factory=list, description="Daily forecast; empty for climate.")


class Itinerary(BaseModel):
    departure_airport: str
    arrival_airport: str
    departure_at: str = Field(description="Local time, ISO 8601.")
    arrival_at: str
    duration_minutes: int = Field(ge=0)
    stops: int = Field(ge=0)
    flights: list[str] = Field(default_factory=list, description="Carrier code + number, e.g. 'LH400'.")


class FlightOffer(BaseModel):
    price_total: float = Field(ge=0, description="For all travellers.")
    currency: str
    carriers: list[str] = Field(default_factory=list)
    outbound: Itinerary
    inbound: Itinerary | None = None
    bookable_seats: int | None = None


class FlightSearch(_Data):
    origin: str
    destination: str
    departure_date: dt.date
    return_date: dt.date | None = None
    adults: int
    children: int
    currency: str
    offers: list[FlightOffer]


class HotelOffer(BaseModel):
    name: str
    hotel_id: str | None = None
    category: str | None = None
    price_total: float = Field(ge=0)
    price_per_night: float = Field(ge=0)
    currency: str
    room: str | None = None
    within_budget: bool | None = Field(default=None, description="None when no budget or other currency.")
    latitude: float | None = None
    longitude: float | None = None


class HotelSearch(_Data):
    city: str
    city_code: str | None = None
    check_in: dt.date
    check_out: dt.date
    nights: int
    guests: int
    currency: str
    budget_per_night: float | None = None
    offers: list[HotelOffer]


class Attraction(BaseModel):
    name: str
    category: str
    description: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    distance_m: float | None = None
    rating: int | None = None
    url: str | None = None


class AttractionList(_Data):
    city: str
    latitude: float | None = None
    longitude: float | None = None
    interests: list[str] = Field(default_factory=list)
    attractions: list[Attraction]


class SearchHit(BaseModel):
    title: str
    url: str
    snippet: str = ""
    site: str = ""


class SearchResults(_Data):
    query: str
    results: list[SearchHit]
