"""Deterministic wording of plan answers: the whole plan, a recap of it, what a change changed, the
budget, cheaper choices, open suggestions, food and getting around, and a question back about a message
that could not be placed.

Every function takes the data the agent has (a :class:`~.plan.TripPlan`, the one before, tool results)
and returns plain text with light Markdown (bold titles, bullets). Values from tools are quoted through
:func:`~.composer.clean` (one line, no markup, cut short): they are data, never instructions. Offline
sample data is always said to be so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .composer import clean
from .models import Money
from .plan import TripPlan
from .suggest import Suggestion

OFFLINE_NOTE = "Prices, fares and weather here are offline sample estimates, not live quotes."


def _day(value: date) -> str:
    return f"{value:%a} {value:%b} {value.day}"


def plan_text(plan: TripPlan, *, intro: str | None = None) -> str:
    """The whole plan: dates, flights, trains, hotels, the day-by-day itinerary, costs against the budget."""
    lines = [intro or f"Here's your trip to {clean(plan.summary, 220)}.", ""]
    dates = plan.dates
    when = f"{_day(dates.start)} – {_day(dates.end)}, {dates.end.year} ({dates.nights} nights)"
    lines.append(
        f"**Dates:** {when}" + (f" — {clean(dates.note, 140)}" if dates.assumed and dates.note else "")
    )
    if len(plan.stops) > 1:
        lines.append(
            "**Stops:** "
            + ", ".join(f"{s.name} ({s.nights} night{'s' if s.nights != 1 else ''})" for s in plan.stops)
        )
    lines += ["", "**Flights**"]
    lines += [f"- {_flight(flight)}" for flight in plan.flights] or [
        "- none: every journey is by train"
        if plan.origin and plan.trains
        else "- none yet (tell me where you're travelling from)"
    ]
    if plan.trains:
        lines += ["", "**Trains**"] + [f"- {_train(train)}" for train in plan.trains]
    lines += ["", "**Hotels**"]
    lines += [f"- {_hotel(hotel)}" for hotel in plan.hotels] or ["- unavailable right now"]
    lines += ["", "**Day by day**"]
    for day in plan.itinerary:
        things = "; ".join(clean(item.name, 70) for item in day.items)
        lines.append(
            f"- Day {day.day} ({_day(day.date)}), {clean(day.title, 90)}" + (f": {things}" if things else "")
        )
    if plan.weather:
        lines += ["", "**Weather**"] + [
            f"- {clean(w.stop, 40)}: {clean(w.summary, 110)}" for w in plan.weather
        ]
    lines += ["", budget_text(plan)]
    lines += _footer(plan)
    return "\n".join(lines)


def recap_text(plan: TripPlan, last_change: Sequence[str] = ()) -> str:
    """A short recap of the trip in hand: where, when, who, the total against the budget, the last change.

    Args:
        plan: the current plan.
        last_change: what the last change to the plan changed, in words (:func:`describe_changes`).

    Returns:
        A few lines ending with a question (change something, or see the whole plan).
    """
    lines = [f"Here's your trip so far: {clean(plan.summary, 260)}.", budget_text(plan)]
    if last_change:
        lines.append("Last change: " + "; ".join(clean(item, 160) for item in last_change[:5]) + ".")
    if plan.origin is None:
        lines.append("Tell me where you're travelling from and I'll add the flights.")
    lines.append('Would you like to change anything, or shall I "show the whole plan" day by day?')
    return "\n".join(lines)


def unplaced_text(trip: str | None, numbers: Sequence[str], currency: str) -> str:
    """A question back about a message the engine could not place, naming what it understood.

    Args:
        trip: the trip in hand in one line (``None`` when there is none).
        numbers: the numbers the message carries, as written ("1500", "1,500", "14th").
        currency: the trip's budget currency, to offer a number as a budget.

    Returns:
        One or two short sentences ending with a question; never a search of the message.
    """
    context = f" (your trip so far: {clean(trip, 200)})" if trip else ""
    if numbers:
        number = clean(numbers[0], 20)
        if number[-2:] in ("st", "nd", "rd", "th"):
            return f"I read the {number}{context}. Is that a new date for the trip, or something else?"
        value = float(number.replace(",", "")) if number.replace(",", "").isdigit() else None
        if value is not None and value >= 50:
            return (
                f"I read {number}{context}. Is that your budget "
                f"({Money(amount=value, currency=currency).describe()}), or something else?"
            )
        return f"I read {number}{context}. Is that the number of days, of travellers, or something else?"
    if trip:
        return (
            f"I didn't quite follow that. Your trip so far: {clean(trip, 200)}. What would you like to "
            "change: the dates, who's travelling, the budget or the stops?"
        )
    return "I didn't quite follow that. Where would you like to go, and when?"


def _flight(flight: object) -> str:
    from .plan import PlanFlight

    assert isinstance(flight, PlanFlight)
    leg = {"outbound": "Out", "between": "Between stops", "return": "Back"}[flight.leg]
    times = f", {flight.depart}–{flight.arrive}" if flight.depart and flight.arrive else ""
    stops = "nonstop" if flight.stops == 0 else f"{flight.stops} stop{'s' if flight.stops > 1 else ''}"
    carrier = clean(flight.carrier, 40)
    return (
        f"{leg} {_day(flight.date)}: {flight.from_} → {flight.to}{times}, {stops}, {carrier} — "
        f"{flight.price_per_person.describe()} per person, {flight.total.describe()} total"
    )


def _train(train: object) -> str:
    from ..tools.rail import duration_text
    from .plan import PlanTrain

    assert isinstance(train, PlanTrain)
    return (
        f"{_day(train.date)}: {clean(train.from_, 40)} → {clean(train.to, 40)}, {clean(train.service, 40)}, "
        f"about {duration_text(train.duration_minutes)} — {train.price_per_person.describe()} per person, "
        f"{train.total.describe()} total (typical fare)"
    )


def _hotel(hotel: object) -> str:
    from .plan import PlanHotel

    assert isinstance(hotel, PlanHotel)
    rooms = f"{hotel.rooms} room{'s' if hotel.rooms != 1 else ''}"
    category = f" ({clean(hotel.category, 20)})" if hotel.category else ""
    return (
        f"{clean(hotel.stop, 40)}: {clean(hotel.name, 60)}{category} — {hotel.nights} night"
        f"{'s' if hotel.nights != 1 else ''} × {hotel.price_per_night.describe()} ({rooms}) = "
        f"{hotel.total.describe()}"
    )


def budget_text(plan: TripPlan) -> str:
    """The costs and how they stand against the budget."""
    costs = plan.costs
    trains = f" + trains {costs.trains.describe()}" if costs.trains is not None else ""
    text = (
        f"**Total: {costs.total.describe()}** (flights {costs.flights.describe()} + hotels "
        f"{costs.hotels.describe()}{trains}; food and activities not included)."
    )
    budget = plan.budget
    if budget is None:
        return text + " Tell me your budget and I'll check it against this."
    if budget.status == "fits" and budget.remaining is not None:
        return (
            text
            + f" That's within your {budget.amount.describe()} budget, "
            + f"with {budget.remaining.describe()} left."
        )
    if budget.status == "over" and budget.over is not None:
        hint = f" {clean(budget.suggestion, 220)}" if budget.suggestion else ""
        return text + f" That's {budget.over.describe()} over your {budget.amount.describe()} budget.{hint}"
    return (
        text
        + f" I can't compare it with your {budget.amount.describe()} budget "
        + "(no offline rate for its currency)."
    )


def _footer(plan: TripPlan) -> list[str]:
    notes = [clean(note, 160) for note in plan.notes if not (plan.dates.note and note == plan.dates.note)]
    lines = ["", "Notes: " + "; ".join(notes) + "."] if notes else []
    if plan.rates is not None:
        lines.append(clean(plan.rates.note, 200))
    if plan.offline:
        lines.append(OFFLINE_NOTE)
    return lines


def changes_text(plan: TripPlan, before: TripPlan, changed: Sequence[str]) -> str:
    """A short answer to a small change: what changed, and the new total against the budget."""
    lines = ["Updated: " + "; ".join(changed) + "." if changed else "Updated your plan."]
    old, new = before.costs.total, plan.costs.total
    if old.currency == new.currency and abs(old.amount - new.amount) >= 0.5:
        delta = Money(amount=max(abs(new.amount - old.amount), 0.01), currency=new.currency).describe()
        lines.append(
            f"New total {new.describe()} "
            f"(was {old.describe()}, {'+' if new.amount > old.amount else '−'}{delta})."
        )
    else:
        lines.append(f"Total {new.describe()}.")
    lines.append(budget_text(plan).split("). ", 1)[-1] if plan.budget else "")
    if plan.dates.assumed and plan.dates.note:
        lines.append(f"Dates: {clean(plan.dates.note, 140)}.")
    if plan.offline:
        lines.append("(Offline sample prices.)")
    lines.append('Say "show the whole plan" to see it day by day.')
    return "\n".join(line for line in lines if line)


def describe_changes(before: TripPlan, plan: TripPlan) -> list[str]:
    """What differs between two plans, in words ("3 adults (was 2)", "2 rooms (was 1)")."""
    changed: list[str] = []
    if before.party.describe() != plan.party.describe():
        changed.append(f"{plan.party.describe()} (was {before.party.describe()})")
    if before.party.rooms != plan.party.rooms:
        changed.append(f"{plan.party.rooms} rooms (was {before.party.rooms})")
    if (before.dates.start, before.dates.end) != (plan.dates.start, plan.dates.end):
        changed.append(
            f"dates {_day(plan.dates.start)} – {_day(plan.dates.end)}, {plan.dates.nights} nights "
            f"(was {_day(before.dates.start)} – {_day(before.dates.end)})"
        )
    old_from = before.origin.name if before.origin else None
    new_from = plan.origin.name if plan.origin else None
    if old_from != new_from and new_from:
        changed.append(f"flying from {new_from}" + (f" (was {old_from})" if old_from else ""))
    if (before.budget and before.budget.amount) != (plan.budget and plan.budget.amount) and plan.budget:
        changed.append(f"budget {plan.budget.amount.describe()}")
    if [h.category for h in before.hotels] != [h.category for h in plan.hotels] and plan.hotels:
        changed.append(
            "hotels: "
            + ", ".join(f"{clean(h.name, 50)} ({h.price_per_night.describe()}/night)" for h in plan.hotels)
        )
    if before.currency != plan.currency:
        changed.append(f"prices in {plan.currency}")
    return changed


def cheaper_text(plan: TripPlan, before: TripPlan, level: str) -> str:
    """What the cheaper choice changed and saved."""
    saved = before.costs.total.amount - plan.costs.total.amount
    hotels = ", ".join(f"{clean(h.name, 50)} ({h.price_per_night.describe()}/night)" for h in plan.hotels)
    lines = [
        f"Cheaper option: {level} hotels ({hotels}) and the cheapest flights."
        if hotels
        else "Cheaper option: the cheapest flights."
    ]
    if saved >= 0.5:
        lines.append(
            f"New total {plan.costs.total.describe()}, "
            f"saving {Money(amount=saved, currency=plan.currency).describe()} "
            f"(was {before.costs.total.describe()})."
        )
    if plan.budget is not None:
        lines.append(budget_text(plan).split("). ", 1)[-1])
    if plan.offline:
        lines.append("(Offline sample prices.)")
    return "\n".join(lines)


def cheapest_already_text(plan: TripPlan) -> str:
    text = (
        "This is already the cheapest in my list: budget hotels and the cheapest flights, "
        f"{plan.costs.total.describe()} in total."
    )
    nights = plan.dates.nights
    if nights > 2:
        text += (
            f" A shorter stay ({nights - 1} nights instead of {nights}) or a cheaper destination "
            "would bring it down."
        )
    return text


def suggestions_text(suggestions: Sequence[Suggestion], month: int) -> str:
    """The ranked suggestions with their reasons, and how to pick one."""
    if not suggestions:
        return (
            "I couldn't find a destination in my list that matches that. "
            "Could you tell me more (a region, the month, a budget)?"
        )
    lines = [f"Here are my top ideas for {date(2000, month, 1):%B}, best match first:"]
    for rank, suggestion in enumerate(suggestions, start=1):
        where = suggestion.place.name + (f" ({suggestion.place.country})" if suggestion.place.country else "")
        lines.append(f"{rank}. **{where}**: {clean(suggestion.reason, 220)}")
    lines += [
        "",
        (
            "Climate and costs are rough offline estimates (climate from latitude, height and season; "
            "prices from typical hotel levels), not live data."
        ),
        (
            'Pick one ("the first one", or its name) and tell me where you\'re flying from and when, '
            "and I'll plan it."
        ),
    ]
    return "\n".join(lines)


def food_text(city_lines: Sequence[tuple[str, list[str], str | None]], offline: bool) -> str:
    """Where to eat: per stop, the food places from the sights list and what the city is known for."""
    lines = []
    for city, places, known_for in city_lines:
        lines.append(f"**{clean(city, 40)}**")
        if known_for:
            lines.append(f"- Known for: {clean(known_for, 140)}.")
        lines.extend(f"- {clean(place, 160)}" for place in places)
        if not known_for and not places:
            lines.append(
                "- I have no food tips for it in my offline data; local guides and reviews will do better."
            )
    if offline and any(places for _, places, _ in city_lines):
        lines.append(
            "\nThese come from my offline list of well-known places, not live reviews or opening hours."
        )
    return "\n".join(lines)


def transport_text(city_lines: Sequence[tuple[str, tuple[str, str, str] | None]]) -> str:
    """Getting around each stop, from the offline facts (none invented for cities without them)."""
    lines = []
    for city, facts in city_lines:
        if facts is None:
            lines.append(
                f"**{clean(city, 40)}**: I don't have reliable offline details on getting around it; "
                "the local transit operator's site is the place to check."
            )
            continue
        around, airport, _ = facts
        lines.append(f"**{clean(city, 40)}**: {around}. From the airport: {airport}.")
    lines.append("\nGeneral guidance from my offline notes: check fares and timetables locally.")
    return "\n".join(lines)
