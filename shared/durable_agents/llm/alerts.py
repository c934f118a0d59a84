"""Reminders and price watches as the travel agent keeps them: when a reminder is due, what a watch
checks, and the price it reads.

Each alert is one of the travel agent's own schedules (``durable_agents.runtime.schedules``), whose
payload is all the alert needs when it fires, and nothing more (a few hundred bytes):

:class:`ReminderPayload` (a one-time schedule at the reminder's time)
    ``about`` (what for: "to pack"), ``before`` (days) and ``anchor`` (``departure`` | ``return``) when it
    counts from the trip, ``place`` and ``trip_date`` (the trip's destination and that date, as they
    were when it was set), ``conversation`` (the conversation to tell; none: the agent's own history).
:class:`WatchPayload` (a daily schedule)
    ``tool`` (``flights`` | ``hotels``) and its ``arguments``, ``below`` and ``currency`` (the
    threshold: flights per person, hotels per night), ``route`` (what is watched, in words), ``until``
    (the searched date, or :data:`WATCH_DAYS` ahead without one: past it the watch ends),
    ``conversation``.

Times are UTC. A reminder without a time of day is due at :data:`DEFAULT_HOUR`, or at
:data:`DEPARTURE_DAY_HOUR` on the departure day itself ("the morning we fly").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .gazetteer import gazetteer
from .models import Money, Place, PriceWatchRequest, ReminderRequest, TravelSlots

DEFAULT_HOUR = 9
"""A reminder's hour (UTC) when none was asked for: in the morning in Europe, early in the Americas."""
DEPARTURE_DAY_HOUR = 6
"""On the departure day itself: before most flights leave."""
WATCH_NIGHTS = 3
"""A hotel watch without the trip's length prices this many nights (the price read is per night)."""
WATCH_DAYS = 30
"""How long a watch without a date of its own runs (one with a date runs until that date)."""

Missing = Literal["dates", "return", "when", "destination", "origin", "threshold"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class ReminderPayload(_Payload):
    """A reminder's schedule payload (see the module documentation)."""

    about: str | None = None
    before: int | None = Field(default=None, ge=0)
    anchor: Literal["departure", "return"] | None = None
    place: str | None = None
    trip_date: date | None = None
    conversation: str | None = None


class WatchPayload(_Payload):
    """A price watch's schedule payload (see the module documentation)."""

    tool: Literal["flights", "hotels"]
    arguments: dict[str, Any]
    below: float = Field(gt=0)
    currency: str
    route: str
    until: date | None = None
    conversation: str | None = None

    @property
    def dated(self) -> bool:
        """Whether it searches a date of the trip's (else each day's own: the tool looks ahead)."""
        return bool({"departure_date", "month", "check_in"} & self.arguments.keys())

    @property
    def threshold(self) -> Money:
        return Money(amount=self.below, currency=self.currency)


@dataclass(frozen=True)
class Reminder:
    """A reminder ready to schedule: when, and its payload."""

    due: datetime
    payload: ReminderPayload


@dataclass(frozen=True)
class Price:
    """The cheapest price a check found, in the watch's currency."""

    amount: float
    currency: str

    @property
    def money(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


# --- reminders -----------------------------------------------------------------------------------------


def plan_reminder(
    request: ReminderRequest, trip: TravelSlots, now: datetime, conversation: str | None
) -> Reminder | Missing:
    """When ``request`` is due for ``trip``, or what it still needs: ``dates`` (the trip's departure),
    ``return`` (its return date) or ``when`` (no time at all)."""
    about = request.about
    place = trip.destination.name if trip.destination is not None else None
    if request.in_seconds is not None:
        due = now + timedelta(seconds=request.in_seconds)
        return Reminder(due, ReminderPayload(about=about, conversation=conversation))
    if request.days_before is not None:
        anchor: Literal["departure", "return"] = "return" if request.before_return else "departure"
        trip_date = trip.trip_end() if request.before_return else trip.departure_date
        if trip_date is None:
            return "return" if request.before_return and trip.departure_date is not None else "dates"
        departure_day = request.days_before == 0 and anchor == "departure"
        hour = (
            request.hour
            if request.hour is not None
            else DEPARTURE_DAY_HOUR
            if departure_day
            else DEFAULT_HOUR
        )
        day = trip_date - timedelta(days=request.days_before)
        payload = ReminderPayload(
            about=about,
            before=request.days_before,
            anchor=anchor,
            place=place,
            trip_date=trip_date,
            conversation=conversation,
        )
        return Reminder(_at(day, hour, request.minute), payload)
    if request.on_date is not None:
        hour = request.hour if request.hour is not None else DEFAULT_HOUR
        departure = trip.departure_date
        payload = ReminderPayload(
            about=about,
            place=place if departure is not None and request.on_date <= departure else None,
            trip_date=departure if departure is not None and request.on_date <= departure else None,
            conversation=conversation,
        )
        return Reminder(_at(request.on_date, hour, request.minute), payload)
    return "when"


def _at(day: date, hour: int, minute: int | None) -> datetime:
    return datetime.combine(day, time(hour, minute or 0), UTC)


# --- watches -------------------------------------------------------------------------------------------


def plan_watch(
    request: PriceWatchRequest, stated: TravelSlots, trip: TravelSlots, today: date, conversation: str | None
) -> WatchPayload | Missing:
    """The watch ``request`` asks for: the route and dates the message ``stated``, else the ``trip``'s
    (its dates only for the trip's own destination); or what it still needs."""
    destination = stated.destination or trip.destination
    origin = stated.origin or trip.origin
    if destination is None:
        return "destination"
    if request.tool == "flights" and origin is None:
        return "origin"
    if request.below is None:
        return "threshold"
    same_trip = trip.destination is not None and destination.name == trip.destination.name
    dated = stated if (stated.has_dates() or not same_trip) else trip
    currency = request.below.currency
    if request.tool == "flights":
        assert origin is not None
        arguments: dict[str, Any] = {
            "origin": _code(origin),
            "destination": _code(destination),
            "adults": 1,
            "currency": currency,
        }
        if dated.departure_date is not None:
            arguments["departure_date"] = dated.departure_date.isoformat()
            if dated.return_date is not None:
                arguments["return_date"] = dated.return_date.isoformat()
        elif dated.month is not None:
            arguments["month"] = dated.month
        route = f"flights {origin.name} → {destination.name}" + _dated(dated, "on", back=True)
    else:
        where = _city(destination)
        city = where.name
        arguments = {"city": where.query(), "guests": 2, "currency": currency, "nights": WATCH_NIGHTS}
        if dated.departure_date is not None:
            arguments["check_in"] = dated.departure_date.isoformat()
        if dated.duration_days is not None:
            arguments["nights"] = min(max(dated.duration_days, 1), 30)
        route = f"hotels in {city}" + _dated(dated, "from", back=False)
    return WatchPayload(
        tool=request.tool,
        arguments=arguments,
        below=request.below.amount,
        currency=currency,
        route=route,
        until=dated.departure_date or today + timedelta(days=WATCH_DAYS),
        conversation=conversation,
    )


def _code(place: Place) -> str:
    return place.iata or place.name


def _city(place: Place) -> Place:
    """A city to price hotels in: the place itself, or a country's or region's first stop."""
    if place.kind == "city":
        return place
    stops = gazetteer().stops_for(place)
    return stops[0] if stops else place


def _dated(slots: TravelSlots, word: str, *, back: bool) -> str:
    """' on Tue, Jun 16 (back Sun, Jun 21)', ' in June', or nothing (the tool's own choice each day)."""
    if slots.departure_date is not None:
        text = f" {word} {day_text(slots.departure_date)}"
        return text + (f" (back {day_text(slots.return_date)})" if back and slots.return_date else "")
    if slots.month is not None:
        return f" in {date(2000, slots.month, 1):%B}"
    return ""


def cheapest(payload: WatchPayload, data: Any) -> Price | None:
    """The lowest price in a flights or hotels result (flights per person: the watch searches for one
    adult; hotels per night), when it is in the watch's currency."""
    offers = data.get("offers") if isinstance(data, dict) else None
    if not isinstance(offers, list):
        return None
    field = "price_total" if payload.tool == "flights" else "price_per_night"
    prices = [
        float(offer[field])
        for offer in offers
        if isinstance(offer, dict)
        and isinstance(offer.get(field), (int, float))
        and offer.get("currency") == payload.currency
    ]
    return Price(min(prices), payload.currency) if prices else None


def day_text(value: date | None, today: date | None = None) -> str:
    """'Tue, Jun 16' (with the year when it is not ``today``'s)."""
    if value is None:
        return ""
    text = f"{value:%a}, {value:%b} {value.day}"
    return text if today is None or value.year == today.year else f"{text}, {value.year}"
