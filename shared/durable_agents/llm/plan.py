"""The trip plan the travel agent answers with (``data.plan``), as the chat page reads it.

Field names are a contract with the page (camelCase in JSON); fields may be added, never renamed::

    TripPlan
      summary                       one line: where, when, who, total
      destination {name, country}   the trip's destination (a country or region when the user named one)
      stops [{name, country, nights}]           >= 1 stop; a multi-city trip has several
      dates {start, end, nights, assumed, note} ISO dates; assumed=true when the user gave none (note: how)
      party {adults, children, rooms}
      currency                      every Money below is in it
      flights [{leg, from, to, date, carrier, flightNumber, depart, arrive, stops, pricePerPerson, total}]
                                    leg: outbound | between | return; depart/arrive "HH:MM" local
      trains [{leg, from, to, date, service, durationMinutes, pricePerPerson, total, note}]
                                    journeys a listed rail link covers (added field): never flown
      hotels [{stop, name, nights, rooms, pricePerNight, total, rating, category, pricePerRoomNight}]
                                    pricePerNight is for all the party's rooms: total = nights x pricePerNight
      itinerary [{day, date, stop, title, items [{name, kind, note}]}]   one a day, arrival to departure
      costs {flights, hotels, activities, total, trains}   activities is null (not estimated); trains
                                    (added field) null when no train is taken; total includes them
      budget {amount, status, remaining, over, suggestion} | null        status: fits | over | unknown
      rates {note, source} | null   the fixed offline conversion rates used, when a price was converted
      origin {name, country} | null             where the trip starts (added field)
      weather [{stop, summary, offline}]        the climate or forecast per stop (added field)
      notes [str]                   assumptions and caveats (added field)
      offline                       true when any part is offline sample data
    Money = {amount, currency}

A week's plan is a few KB: notes are short and each day lists at most four items.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Leg = Literal["outbound", "between", "return"]
BudgetStatus = Literal["fits", "over", "unknown"]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class PlanMoney(_Model):
    amount: float
    currency: str

    def describe(self) -> str:
        from .models import Money

        if self.amount <= 0:
            return Money(amount=1, currency=self.currency).describe().replace("1", "0", 1)
        return Money(amount=self.amount, currency=self.currency).describe()


class PlanPlace(_Model):
    name: str
    country: str | None = None
    region: str | None = None

    def query(self) -> str:
        """The name a tool resolves back to this place (``models.place_query``)."""
        from .models import place_query

        return place_query(self.name, self.region, self.country)


class PlanStop(PlanPlace):
    nights: int = Field(ge=0)


class PlanDates(_Model):
    start: date
    end: date
    nights: int = Field(ge=0)
    assumed: bool = False
    note: str | None = None


class Party(_Model):
    adults: int = Field(ge=1)
    children: int = Field(default=0, ge=0)
    rooms: int = Field(ge=1)

    def describe(self) -> str:
        text = f"{self.adults} adult{'s' if self.adults != 1 else ''}"
        if self.children:
            text += f", {self.children} child{'ren' if self.children != 1 else ''}"
        return text


class PlanFlight(_Model):
    leg: Leg
    from_: str = Field(alias="from")
    to: str
    date: date
    carrier: str
    flight_number: str | None = None
    depart: str | None = None
    arrive: str | None = None
    stops: int = 0
    price_per_person: PlanMoney
    total: PlanMoney


class PlanTrain(_Model):
    leg: Leg = "between"
    from_: str = Field(alias="from")
    to: str
    date: date
    service: str
    duration_minutes: int = Field(ge=1)
    price_per_person: PlanMoney
    total: PlanMoney
    note: str | None = None


class PlanHotel(_Model):
    stop: str
    name: str
    nights: int = Field(ge=0)
    rooms: int = Field(ge=1)
    price_per_night: PlanMoney
    total: PlanMoney
    rating: float | None = None
    category: str | None = None
    price_per_room_night: PlanMoney | None = None


class PlanItem(_Model):
    name: str
    kind: str
    note: str | None = None


class PlanDay(_Model):
    day: int = Field(ge=1)
    date: date
    stop: str
    title: str
    items: list[PlanItem] = Field(default_factory=list)


class PlanCosts(_Model):
    flights: PlanMoney
    hotels: PlanMoney
    activities: PlanMoney | None = None
    total: PlanMoney
    trains: PlanMoney | None = None


class PlanBudget(_Model):
    amount: PlanMoney
    status: BudgetStatus
    remaining: PlanMoney | None = None
    over: PlanMoney | None = None
    suggestion: str | None = None


class PlanRates(_Model):
    note: str
    source: Literal["offline"] = "offline"


class PlanWeather(_Model):
    stop: str
    summary: str
    offline: bool = False


class TripPlan(_Model):
    """A day-by-day plan whose costs add up (see the module documentation)."""

    summary: str
    destination: PlanPlace
    stops: list[PlanStop] = Field(min_length=1)
    dates: PlanDates
    party: Party
    currency: str
    flights: list[PlanFlight] = Field(default_factory=list)
    trains: list[PlanTrain] = Field(default_factory=list)
    hotels: list[PlanHotel] = Field(default_factory=list)
    itinerary: list[PlanDay] = Field(default_factory=list)
    costs: PlanCosts
    budget: PlanBudget | None = None
    rates: PlanRates | None = None
    origin: PlanPlace | None = None
    weather: list[PlanWeather] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    offline: bool = False

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)
