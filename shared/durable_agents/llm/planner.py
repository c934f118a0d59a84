"""The deterministic tool plan: which tools to call for an intent, with JSON-ready arguments.

- ``plan_trip`` / ``update_details`` with a destination: weather and attractions, plus flights when the
  origin is known and hotels when dates, a month or a duration are known.
- ``find_flights`` (needs destination and origin), ``find_hotels`` (destination and dates),
  ``weather``, ``attractions`` (destination): that one tool, or nothing while a required slot is missing.
- ``search``: a web search for the question, with the destination's name added when the question
  does not mention it.
- ``greeting`` / ``unknown``: nothing.

Arguments (``None`` values are left out):

- weather: ``location, country, lat, lon`` and ``start_date, end_date`` or ``month``
- flights: ``origin, destination`` (IATA codes), ``origin_name, destination_name, departure_date,
  return_date, month, adults, children, max_price, currency``
- hotels: ``city, country, lat, lon, check_in, check_out, month, nights, adults, children, max_price,
  currency``
- attractions: ``location, country, lat, lon, interests``
- search: ``query``
"""

from __future__ import annotations

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
    if (full_trip or intent is Intent.FIND_FLIGHTS) and slots.origin is not None:
        calls.append(PlannedCall(tool="flights", arguments=_flights(slots.origin, destination, slots)))
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


def _where(place: Place) -> dict[str, Any]:
    return {"country": place.country, "lat": place.lat, "lon": place.lon}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _party(slots: TravelSlots) -> dict[str, Any]:
    travellers = slots.travellers
    budget = slots.budget
    return {
        "adults": (travellers.adults if travellers else None) or 1,
        "children": travellers.children if travellers else None,
        "max_price": budget.amount if budget else None,
        "currency": budget.currency if budget else None,
    }


def _weather(destination: Place, slots: TravelSlots) -> dict[str, Any]:
    return _compact(
        {
            "location": destination.city or destination.name,
            **_where(destination),
            "start_date": _iso(slots.departure_date),
            "end_date": _iso(slots.trip_end()),
            "month": slots.month,
        }
    )


def _flights(origin: Place, destination: Place, slots: TravelSlots) -> dict[str, Any]:
    return _compact(
        {
            "origin": origin.iata,
            "destination": destination.iata,
            "origin_name": origin.name,
            "destination_name": destination.name,
            "departure_date": _iso(slots.departure_date),
            "return_date": _iso(slots.trip_end()),
            "month": slots.month,
            **_party(slots),
        }
    )


def _hotels(destination: Place, slots: TravelSlots) -> dict[str, Any]:
    return _compact(
        {
            "city": destination.city or destination.name,
            **_where(destination),
            "check_in": _iso(slots.departure_date),
            "check_out": _iso(slots.trip_end()),
            "month": slots.month,
            "nights": slots.duration_days,
            **_party(slots),
        }
    )


def _attractions(destination: Place, slots: TravelSlots) -> dict[str, Any]:
    return _compact(
        {
            "location": destination.city or destination.name,
            **_where(destination),
            "interests": list(slots.interests),
        }
    )
