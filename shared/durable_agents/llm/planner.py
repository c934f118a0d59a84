"""The deterministic tool plan: which tools to call for an intent, with JSON-ready arguments.

- ``plan_trip`` / ``update_details`` with a destination: weather and attractions, plus flights when the
  origin is known (and differs) and hotels when dates, a month or a duration are known.
- ``find_flights`` (needs destination and origin), ``find_hotels`` (destination and dates),
  ``weather``, ``attractions`` (destination): that one tool, or nothing while a required slot is missing.
- ``search``: a web search for the question, with the destination's name added when the question
  does not mention it.
- ``greeting`` / ``unknown``: nothing.

Arguments match the tool layer's parameter models (``None`` values are left out; a date and a month
are never both given):

- weather: ``place, latitude, longitude`` and ``date`` (the departure) or ``month``, ``days`` (trip
  length, at most 14)
- flights: ``origin, destination`` (IATA codes, else names), ``departure_date, return_date`` or
  ``month``, ``adults, children`` and ``currency`` (the budget's)
- hotels: ``city, check_in, nights, guests`` (everyone travelling) and ``currency``; with only a
  month known, check-in is left to the tool's default
- attractions: ``city, latitude, longitude, interests``
- search: ``query``
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .models import Extraction, Intent, Place, PlannedCall, TravelSlots


def plan_calls(extraction: Extraction, slots: TravelSlots) -> list[PlannedCall]:
    """The tool calls for ``extraction``'s intent given the conversation's merged ``slots``."""
    intent = extraction.intent
    if intent is Intent.SEARCH:
        return [PlannedCall(tool="search", arguments={"query": _query(extraction, slots)})]
    destination = slots.destination
    if destination is None:
        return []
    calls: list[PlannedCall] = []
    full_trip = intent in (Intent.PLAN_TRIP, Intent.UPDATE_DETAILS)
    if full_trip or intent is Intent.WEATHER:
        calls.append(PlannedCall(tool="weather", arguments=_weather(destination, slots)))
    origin = slots.origin
    if (
        (full_trip or intent is Intent.FIND_FLIGHTS)
        and origin is not None
        and origin.name != destination.name
    ):
        calls.append(PlannedCall(tool="flights", arguments=_flights(origin, destination, slots)))
    if (full_trip or intent is Intent.FIND_HOTELS) and slots.has_dates():
        calls.append(PlannedCall(tool="hotels", arguments=_hotels(destination, slots)))
    if full_trip or intent is Intent.ATTRACTIONS:
        calls.append(PlannedCall(tool="attractions", arguments=_attractions(destination, slots)))
    return calls


def _query(extraction: Extraction, slots: TravelSlots) -> str:
    query = (extraction.query or "").strip()
    destination = slots.destination
    if destination is not None and destination.name.lower() not in query.lower():
        query = f"{query} {destination.name}".strip()
    return query


def _compact(arguments: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in arguments.items() if value is not None and value != []}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _trip_days(slots: TravelSlots) -> int | None:
    end = slots.trip_end()
    if slots.departure_date is not None and end is not None:
        return (end - slots.departure_date).days
    return slots.duration_days


def _weather(destination: Place, slots: TravelSlots) -> dict[str, Any]:
    days = _trip_days(slots)
    return _compact(
        {
            "place": destination.query(),
            "latitude": destination.lat,
            "longitude": destination.lon,
            "date": _iso(slots.departure_date),
            "month": slots.month if slots.departure_date is None else None,
            "days": min(max(days, 1), 14) if days is not None else None,
        }
    )


def _flights(origin: Place, destination: Place, slots: TravelSlots) -> dict[str, Any]:
    travellers = slots.travellers
    return _compact(
        {
            "origin": origin.iata or origin.name,
            "destination": destination.iata or destination.name,
            "departure_date": _iso(slots.departure_date),
            "return_date": _iso(slots.trip_end()),
            "month": slots.month if slots.departure_date is None else None,
            "adults": (travellers.adults if travellers else None) or 1,
            "children": travellers.children if travellers else None,
            "currency": slots.budget.currency if slots.budget else None,
        }
    )


def _hotels(destination: Place, slots: TravelSlots) -> dict[str, Any]:
    nights = _trip_days(slots)
    return _compact(
        {
            "city": destination.query(),
            "check_in": _iso(slots.departure_date),
            "nights": min(max(nights, 1), 30) if nights is not None else None,
            "guests": slots.travellers.total if slots.travellers else None,
            "currency": slots.budget.currency if slots.budget else None,
        }
    )


def _attractions(destination: Place, slots: TravelSlots) -> dict[str, Any]:
    return _compact(
        {
            "city": destination.query(),
            "latitude": destination.lat,
            "longitude": destination.lon,
            "interests": list(slots.interests),
        }
    )
