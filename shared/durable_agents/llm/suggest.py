"""Open requests ("somewhere warm in December under 2000 euros"): curated destinations ranked, with reasons.

Each curated destination city is scored for the month asked about (the trip's month, else next month):
its climate from the offline climate model (:class:`durable_agents.tools.weather.OfflineWeather`: an
estimate from latitude and season, said to be one), how well that matches the wish in the message
(warm, cold and snowy, mild, or pleasant by default; beaches want warm), and a rough cost for the
party (a mid-range hotel for the nights from the offline price tiers, plus return flights estimated
from the distance when the origin is known) against the budget. The best five are returned, best
first, each with its reason; every figure is an offline estimate and labelled so.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from .models import Money, Place, TravelSlots

MAX_SUGGESTIONS = 5
DEFAULT_NIGHTS = 7
_WARM = re.compile(r"\b(?:warm|hot|sunny|sun|sunshine|tropical|heat|beach(?:es)?|summer)\b")
_COLD = re.compile(
    r"\b(?:cold|snow|snowy|ski(?:ing)?|winter\s+wonderland|northern\s+lights|christmas\s+markets?)\b"
)
_MILD = re.compile(r"\b(?:mild|not\s+too\s+hot|cool|spring)\b")
_CHEAP = re.compile(r"\b(?:cheap|budget|affordable|inexpensive)\b")


@dataclass(frozen=True)
class Suggestion:
    """One ranked destination and why."""

    place: Place
    month: int
    high_c: float
    low_c: float
    climate: str
    cost: Money
    reason: str


def suggest(message: str, slots: TravelSlots, today: date) -> list[Suggestion]:
    """The best destinations for an open request, best first (at most :data:`MAX_SUGGESTIONS`)."""
    from ..tools import hotels
    from ..tools.flights import fare_eur
    from ..tools.models import WeatherParams
    from ..tools.places import distance_km, tier_of
    from ..tools.weather import OfflineWeather
    from .gazetteer import gazetteer
    from .trip import convert

    text = message.lower()
    month = slots.month or (slots.departure_date.month if slots.departure_date else today.month % 12 + 1)
    wish = (
        "warm"
        if _WARM.search(text) or "beaches" in slots.interests
        else ("cold" if _COLD.search(text) else "mild" if _MILD.search(text) else "pleasant")
    )
    nights = slots.duration_days or DEFAULT_NIGHTS
    adults = (slots.travellers.adults if slots.travellers else None) or 2
    children = (slots.travellers.children if slots.travellers else None) or 0
    rooms = max(math.ceil(adults / 2), math.ceil((adults + children) / 4))
    currency = slots.budget.currency if slots.budget else "USD"
    origin = slots.origin
    weather = OfflineWeather(today=lambda: today)
    scored: list[tuple[float, int, Suggestion]] = []
    seen: set[str] = set()
    for rank, place in enumerate(gazetteer().destinations()):
        if (
            place.lat is None
            or place.lon is None
            or place.name in seen
            or (origin and place.name == origin.name)
        ):
            continue
        seen.add(place.name)
        report = weather(
            WeatherParams(place=place.name, latitude=place.lat, longitude=place.lon, month=month)
        ).data
        high, low = report.summary.temp_high_c, report.summary.temp_low_c
        rain = report.summary.precipitation_mm_per_day
        fit = _climate_fit(wish, high, rain)
        if fit <= 0:
            continue
        tier = tier_of(place.name, place.country)
        hotel_eur = hotels.TIER_NIGHTLY_EUR[tier] * rooms * nights
        flight_eur = 0.0
        if origin is not None and origin.lat is not None and origin.lon is not None:
            distance = distance_km(origin.lat, origin.lon, place.lat, place.lon)
            flight_eur = fare_eur(distance) * 1.85 * (adults + 0.75 * children)
        cost = Money(
            amount=max(round(convert(hotel_eur + flight_eur, "EUR", currency), -1), 1), currency=currency
        )
        score = fit
        if slots.budget is not None:
            cap = slots.budget.amount
            score += 1.0 if cost.amount <= cap else -2.0 * (cost.amount - cap) / cap
        if _CHEAP.search(text):
            score += (tier - 2.5) * 0.3
        reason = _reason(
            wish, month, report.summary.description, cost, nights, adults + children, slots, origin
        )
        scored.append(
            (score, rank, Suggestion(place, month, high, low, report.summary.description, cost, reason))
        )
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    chosen: list[Suggestion] = []
    per_country: dict[str | None, int] = {}
    for _, _, suggestion in scored:
        country = suggestion.place.country
        if per_country.get(country, 0) < 2:
            per_country[country] = per_country.get(country, 0) + 1
            chosen.append(suggestion)
    return chosen[:MAX_SUGGESTIONS]


def _climate_fit(wish: str, high: float, rain: float) -> float:
    dry = 1.0 if rain < 2 else 0.5 if rain < 4 else 0.0
    if wish == "warm":
        return (1.5 + dry if 24 <= high <= 33 else 0.6 if 21 <= high < 24 else 0.0) - max(
            0.0, high - 33
        ) * 0.2
    if wish == "cold":
        return 2.0 if high <= 4 else 1.0 if high <= 8 else 0.0
    if wish == "mild":
        return 1.5 + dry if 15 <= high <= 23 else 0.0
    return 1.2 + dry if 18 <= high <= 28 else 0.4 if 14 <= high < 18 else 0.0


def _reason(
    wish: str,
    month: int,
    climate: str,
    cost: Money,
    nights: int,
    people: int,
    slots: TravelSlots,
    origin: Place | None,
) -> str:
    month_name = date(2000, month, 1).strftime("%B")
    what = f"{climate} in {month_name}"
    spend = f"about {cost.describe()} for {nights} nights for {people} (mid-range hotel"
    spend += f" and return flights from {origin.name})" if origin is not None else ", flights not included)"
    budget = slots.budget
    fits = ""
    if budget is not None:
        fits = "; fits your budget" if cost.amount <= budget.amount else "; over your budget"
    return f"{what}; {spend}{fits}"
