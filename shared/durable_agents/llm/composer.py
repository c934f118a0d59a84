"""Deterministic answers: trip summaries from tool results, clarifying questions, small talk.

Tool results are untrusted third-party data. They are only ever quoted, never followed: each value is
flattened to one line (so it cannot open a new section or fake a heading), stripped of control and
markup characters and cut to a short length; at most five items per tool are shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from .countries import country_name
from .intents import acknowledges
from .models import ComposeRequest, Intent, MissingSlot, Money, Place, ToolName, TravelSlots

MAX_ITEMS = 5
MAX_TEXT = 160

HELLO = (
    "Hello! I'm your travel planning assistant. Tell me where you'd like to go, for example "
    '"Plan a 5-day trip to Lisbon in May for 2 people", and I\'ll check the weather, flights, hotels '
    "and things to do."
)
HELP = (
    "I'm not sure how to help with that. I can plan trips, find flights and hotels, check the weather "
    'and suggest things to do. Try "Weather in Tokyo next week" or "Plan a trip to Rome in June from Boston".'
)
_TITLES: dict[ToolName, str] = {
    "weather": "Weather",
    "flights": "Flights",
    "hotels": "Hotels",
    "attractions": "Things to do",
    "search": "Search results",
}
_QUESTIONS: dict[Intent, str] = {
    Intent.WEATHER: "Which city should I check the weather for?",
    Intent.FIND_FLIGHTS: "Where would you like to fly to?",
    Intent.FIND_HOTELS: "Which city should I look for hotels in?",
    Intent.ATTRACTIONS: "Which place would you like ideas for?",
}
_ASK: dict[MissingSlot, str] = {
    "destination": "where you'd like to go",
    "origin": "where you're travelling from",
    "dates": "your dates (or the month, or how many days)",
}
_ADD: dict[MissingSlot, str] = {
    "origin": "To add flights, tell me where you're travelling from.",
    "dates": "To add hotels, tell me your dates, the month or how many days you'll stay.",
}
_TASKS: dict[Intent, str] = {
    Intent.FIND_FLIGHTS: "find flights to",
    Intent.FIND_HOTELS: "find hotels in",
}
_NEEDS_DESTINATION = {
    Intent.PLAN_TRIP,
    Intent.UPDATE_DETAILS,
    Intent.FIND_FLIGHTS,
    Intent.FIND_HOTELS,
    Intent.WEATHER,
    Intent.ATTRACTIONS,
}
_STARS = re.compile(r"(\d)\s?\*(?!\*)")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f`*_#>\[\]<|]+")
_TITLE_KEYS = ("name", "title", "airline", "carriers", "carrier", "hotel", "label", "date", "day", "headline")
_SUMMARY_KEYS = ("summary", "description", "answer", "text", "note", "conditions", "condition")
_PRICES = (
    ("price_per_night", " per night"), ("pricePerNight", " per night"), ("price_total", " total"),
    ("total_price", " total"), ("totalPrice", " total"), ("price", ""), ("amount", ""),
)  # fmt: skip
_LOWS = ("low", "min", "temp_min", "temp_min_c", "temp_low_c", "tempMin", "min_c")
_HIGHS = ("high", "max", "temp_max", "temp_max_c", "temp_high_c", "tempMax", "max_c")
_LIST_KEYS = (
    "items", "results", "offers", "flights", "hotels", "attractions", "forecast", "days", "daily", "places",
)  # fmt: skip


def compose_answer(request: ComposeRequest) -> str:
    """The reply to ``request``, as plain text with light Markdown (bold section titles, bullets)."""
    intent = request.intent
    if intent is Intent.GREETING:
        return _social(request.message, request.slots.destination)
    if intent is Intent.SEARCH:
        return _search(request)
    destination = request.slots.destination
    if intent in _NEEDS_DESTINATION and destination is None:
        return _clarify(request)
    if destination is None or (intent is Intent.UNKNOWN and not request.tool_results):
        return HELP
    return _trip(request, destination)


def clean(value: Any, limit: int = MAX_TEXT) -> str:
    """One safe line of untrusted text: no control or markup characters, whitespace collapsed, cut."""
    text = " ".join(_UNSAFE.sub(" ", _STARS.sub(r"\1-star", str(value))).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _social(message: str, destination: Place | None) -> str:
    """A reply to a hello, a thank-you or acknowledgement (naming the trip in hand), or a goodbye."""
    lowered = message.lower()
    if re.search(r"\b(?:thanks?|thank you|thx|cheers)\b", lowered) or acknowledges(lowered):
        if destination is not None:
            return (
                f"You're welcome! Your trip to {clean(destination.name, 80)} is kept here: ask me to change "
                'anything, or say "show the whole plan" to see it again.'
            )
        return "You're welcome! Anything else I can help with for your trip?"
    if re.search(r"\b(?:bye|goodbye|see you)\b", lowered):
        return "Have a great trip! Come back any time you need help planning."
    return HELLO


def _place(place: Place) -> str:
    country = country_name(place.country) if place.country else None
    return f"{place.name}, {country}" if place.city and country and country not in place.name else place.name


def _day(value: date, *, year: bool) -> str:
    return f"{value:%b} {value.day}" + (f", {value.year}" if year else "")


def _when(slots: TravelSlots) -> str:
    start, end = slots.departure_date, slots.trip_end()
    if start is not None and end is not None:
        return f"{_day(start, year=start.year != end.year)} – {_day(end, year=True)}"
    if start is not None:
        return f"from {_day(start, year=True)}"
    if slots.month is not None:
        return f"in {date(2000, slots.month, 1):%B}"
    return ""


def _facts(slots: TravelSlots) -> list[str]:
    facts = [_when(slots)]
    if slots.duration_days and slots.departure_date is None:
        facts.append(f"{slots.duration_days} day{'s' if slots.duration_days != 1 else ''}")
    if slots.travellers is not None:
        facts.append(slots.travellers.describe())
    if slots.budget is not None:
        facts.append(f"budget {slots.budget.describe()}")
    if slots.interests:
        facts.append("into " + ", ".join(slots.interests))
    return [fact for fact in facts if fact]


def _clarify(request: ComposeRequest) -> str:
    slots = request.slots
    lines = [_QUESTIONS.get(request.intent, "Where would you like to go?")]
    known = ([f"from {slots.origin.name}"] if slots.origin else []) + _facts(slots)
    if known:
        lines.append("So far I have: " + " · ".join(known) + ".")
    others = [_ASK[slot] for slot in request.missing if slot != "destination"]
    if others:
        lines.append("It also helps to know " + _join(others) + ".")
    return "\n".join(lines)


def _headline(request: ComposeRequest, destination: Place) -> str:
    slots = request.slots
    where = _place(destination)
    when = _when(slots)
    when_text = f" {when}" if when else ""
    if request.intent is Intent.WEATHER:
        return f"Weather for {where}{when_text}:"
    if request.intent is Intent.FIND_FLIGHTS and slots.origin is not None:
        return f"Flights from {slots.origin.name} to {destination.name}{when_text}:"
    if request.intent is Intent.FIND_HOTELS:
        return f"Hotels in {where}{when_text}:"
    if request.intent is Intent.ATTRACTIONS:
        interests = f" (for {', '.join(slots.interests)})" if slots.interests else ""
        return f"Things to do in {where}{interests}:"
    facts = _facts(slots)
    origin = f" from {slots.origin.name}" if slots.origin else ""
    return f"Here's your trip to {where}{origin}" + (" — " + " · ".join(facts) if facts else "") + ":"


def _trip(request: ComposeRequest, destination: Place) -> str:
    results = request.tool_results
    if not results:
        wanted = [_ASK[slot] for slot in request.missing]
        if not wanted:
            return f"I have nothing to look up for {_place(destination)} yet. What would you like to know?"
        task = _TASKS.get(request.intent, "plan your trip to")
        return f"To {task} {destination.name}, tell me {_join(wanted)}."
    lines = [_headline(request, destination)]
    for result in results:
        lines += ["", f"**{_TITLES[result.tool]}**"]
        if not result.ok:
            error = f" ({clean(result.error, 80)})" if result.error else ""
            lines.append(f"- Unavailable right now{error}.")
            continue
        lines.extend(
            f"- {line}" for line in (_render(result.data) if result.data else None) or ["No results."]
        )
        data_notes = result.data.get("notes") if isinstance(result.data, dict) else None
        if isinstance(data_notes, list):
            lines.extend(f"- ({clean(note, 120)})" for note in data_notes[:2])
        if result.note:
            lines.append(f"- ({clean(result.note, 120)})")
    lines.extend(_footer(request))
    return "\n".join(lines)


def _footer(request: ComposeRequest) -> list[str]:
    results = request.tool_results
    notes: list[str] = []
    failed = [_TITLES[r.tool].lower() for r in results if not r.ok]
    if failed and len(failed) == len(results):
        notes.append(f"I couldn't reach any of my sources ({_join(failed)}). Please try again in a moment.")
    elif failed:
        notes.append(f"I couldn't get {_join(failed)} right now; ask again in a moment to retry.")
    offline = [_TITLES[r.tool].lower() for r in results if r.ok and r.offline]
    if offline:
        notes.append(f"Note: {_join(offline)} results are offline sample data, not live prices or forecasts.")
    notes.extend(_ADD[slot] for slot in request.missing if slot in _ADD)
    return ["", *notes] if notes else []


def _search(request: ComposeRequest) -> str:
    results = [r for r in request.tool_results if r.tool == "search"]
    if not results:
        return "What would you like me to look up?"
    lines = [f'Here\'s what I found for "{clean(request.message, 100)}":']
    for result in results:
        if not result.ok:
            return (
                "I couldn't search for that right now"
                + (f" ({clean(result.error, 80)})" if result.error else "")
                + ". Please try again in a moment."
            )
        lines.extend(f"- {line}" for line in _render(result.data) or ["No results."])
        if result.offline:
            lines.append("\nNote: these are offline sample results, not a live web search.")
    return "\n".join(lines)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _render(data: Any) -> list[str]:
    """Lines describing one tool's data, whatever its shape (dict with a list inside, list, text)."""
    if isinstance(data, list):
        return [_describe(item) for item in data[:MAX_ITEMS]]
    if not isinstance(data, dict):
        return [clean(data)]
    summary = next((data[key] for key in _SUMMARY_KEYS if data.get(key)), None)
    lines = [_describe(summary)] if summary is not None else []
    items = next((data[key] for key in _LIST_KEYS if isinstance(data.get(key), list)), None)
    if items is not None:
        lines.extend(_describe(item) for item in items[:MAX_ITEMS])
    elif not lines:
        lines.append(_describe(data))
    return [line for line in lines if line]


def _describe(item: Any) -> str:
    if not isinstance(item, dict):
        return clean(item)
    title = next((_title(item[key]) for key in _TITLE_KEYS if item.get(key) not in (None, "", [])), "")
    details = list(_details(item))
    if not title and not details:
        details = [f"{clean(key, 30)}: {clean(value, 60)}" for key, value in list(item.items())[:6]]
    return clean(title + (" — " if title and details else "") + ", ".join(details), MAX_TEXT * 2)


def _title(value: Any) -> str:
    return clean(", ".join(map(str, value)) if isinstance(value, list) else value, 80)


def _number(item: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    return next((item[key] for key in keys if isinstance(item.get(key), (int, float))), None)


def _details(item: dict[str, Any]) -> Iterable[str]:
    """Short, known facts of one item (price, temperatures, condition, rating, timing...)."""
    currency = str(item.get("currency") or "")
    for key, suffix in _PRICES:
        value = item.get(key)
        if isinstance(value, (int, float)) and value > 0:
            money = Money(amount=value, currency=currency if re.fullmatch(r"[A-Z]{3}", currency) else "USD")
            yield money.describe() + suffix
            break
    for key in ("outbound", "inbound"):
        if isinstance(item.get(key), dict):
            yield f"{key} " + " ".join(_details(item[key]))
    low, high = _number(item, _LOWS), _number(item, _HIGHS)
    unit = "°F" if str(item.get("unit", "")).upper().endswith("F") else "°C"
    if low is not None and high is not None:
        yield f"{low:g}–{high:g}{unit}"
    elif isinstance(item.get("temperature"), (int, float)):
        yield f"{item['temperature']:g}{unit}"
    for key in ("condition", "conditions", "summary", "description", "snippet", "category", "type"):
        if isinstance(item.get(key), str) and item[key]:
            yield clean(item[key], 100)
            break
    if isinstance(item.get("rating"), (int, float)):
        yield f"rated {item['rating']:g}"
    for key in ("departure", "departs", "departure_at", "departure_time", "departureTime"):
        if item.get(key):
            yield f"departs {clean(item[key], 30)}"
            break
    if isinstance(item.get("stops"), int):
        yield "nonstop" if item["stops"] == 0 else f"{item['stops']} stop{'s' if item['stops'] > 1 else ''}"
    if isinstance(item.get("duration_minutes"), int):
        yield f"{item['duration_minutes'] // 60}h{item['duration_minutes'] % 60:02d}"
    for key in ("duration", "room", "address", "area", "neighborhood", "url"):
        if isinstance(item.get(key), (str, int, float)) and item[key] != "":
            yield clean(item[key], 80)
