"""Building a :class:`~.plan.TripPlan`: the trip's frame, the tool calls it needs, and the plan from them.

1. :func:`frame`: the trip as the slots describe it, with what the user did not say assumed and noted:
   the stops (a country or region becomes one to three of its towns, by trip length; nights split
   evenly where the user gave none), the dates (the user's; a month's 15th; four weeks ahead; five
   nights by default), the party and its rooms (two adults a room, children sharing), the currency
   (the budget's, else US dollars).
2. :func:`calls`: weather, hotels and attractions per stop; a one-way flight per leg (out, between
   stops at least :data:`GROUND_KM` apart, back). A journey a listed rail link covers, out, between
   stops or back (:mod:`durable_agents.tools.rail`: Tokyo-Kyoto, London-Paris, Madrid-Barcelona...),
   goes by train, never by air, timed and priced at the link's typical fare per traveller
   (:func:`trains`); other close stops are joined by ground or ferry, unpriced.
   Hotels are priced per room (asked for two guests) and multiplied by the rooms; a party over nine
   seats is priced per person.
3. :func:`assemble`: the plan from the results, in call order, with the chosen hotel level (budget,
   mid-range, upscale: the cheapest, middle and dearest offer) and flight choice (``best``: the
   cheapest nonstop unless a connection saves over 20%; ``cheapest``), every price converted to the
   plan's currency with the fixed offline rates (:data:`durable_agents.tools.offline.EUR_RATES`),
   the costs added up and checked against the budget (what is left, or by how much it is over and
   which cheaper choice would fit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from .models import Money, Place, PlannedCall, ToolResult, TravelSlots
from .plan import (
    Party,
    PlanBudget,
    PlanCosts,
    PlanDates,
    PlanDay,
    PlanFlight,
    PlanHotel,
    PlanItem,
    PlanMoney,
    PlanPlace,
    PlanRates,
    PlanStop,
    PlanTrain,
    PlanWeather,
    TripPlan,
)

if TYPE_CHECKING:
    from ..tools.rail import RailLink

HotelLevel = Literal["budget", "mid-range", "upscale"]
FlightChoice = Literal["best", "cheapest"]
HOTEL_LEVELS: tuple[HotelLevel, ...] = ("budget", "mid-range", "upscale")
DEFAULT_NIGHTS = 5
LEAD_DAYS = 28
GROUND_KM = 300.0
"""Stops closer than this are joined by train, road or ferry (not priced), not a flight."""
MAX_SEATS = 9
MAX_SIGHTS_PER_DAY = 2
_NO_DECIMALS = {"JPY", "KRW", "HUF", "ISK", "IDR", "VND", "CLP"}


@dataclass(frozen=True)
class Choices:
    """What the user chose for the plan: the hotel level and the flights."""

    hotel: HotelLevel = "mid-range"
    flight: FlightChoice = "best"

    def cheaper(self) -> Choices | None:
        """One step cheaper, or ``None`` when already the cheapest."""
        if self.hotel != "budget":
            return Choices(HOTEL_LEVELS[HOTEL_LEVELS.index(self.hotel) - 1], "cheapest")
        if self.flight != "cheapest":
            return Choices(self.hotel, "cheapest")
        return None


@dataclass
class FrameStop:
    place: Place
    nights: int
    check_in: date


@dataclass
class Frame:
    """The trip the plan is for (see :func:`frame`)."""

    destination: Place
    stops: list[FrameStop]
    start: date
    end: date
    assumed: bool
    date_note: str | None
    adults: int
    children: int
    rooms: int
    currency: str
    origin: Place | None
    interests: list[str]
    budget: Money | None
    notes: list[str] = field(default_factory=list)

    @property
    def nights(self) -> int:
        return (self.end - self.start).days

    @property
    def seats(self) -> int:
        return self.adults + self.children


# --- 1. the frame ---------------------------------------------------------------------------------------


def frame(slots: TravelSlots, today: date) -> Frame | None:
    """The trip the slots describe (``None`` without a destination)."""
    from ..tools.offline import EUR_RATES
    from .gazetteer import gazetteer

    destination = slots.destination
    if destination is None:
        return None
    notes: list[str] = []
    given = [stop.nights for stop in slots.stops if stop.nights]
    start, nights, assumed, note = _dates(
        slots, today, sum(given) if given and len(given) == len(slots.stops) else None
    )
    if slots.stops:
        places = [Place.model_validate(stop.model_dump(exclude={"nights"})) for stop in slots.stops]
        wanted = [stop.nights for stop in slots.stops]
    else:
        towns = gazetteer().stops_for(destination)
        count = 1 if nights <= 4 else 2 if nights <= 8 else 3
        places = towns[: max(1, min(count, len(towns)))]
        wanted = [None] * len(places)
        if destination.kind != "city":
            others = [town.name for town in towns[len(places) :]]
            notes.append(
                f"{destination.name} is a {destination.kind}: planned as {', '.join(p.name for p in places)}"
                + (f" (also worth a look: {', '.join(others)})" if others else "")
            )
    split = _split(nights, wanted)
    stops, day = [], start
    for place, stop_nights in zip(places, split, strict=True):
        stops.append(FrameStop(place, stop_nights, day))
        day += timedelta(days=stop_nights)
    travellers = slots.travellers
    adults = (travellers.adults if travellers else None) or 1
    children = (travellers.children if travellers else None) or 0
    if travellers is None or travellers.adults is None:
        notes.append("priced for 1 adult: tell me who is travelling")
    budget = slots.budget
    currency = budget.currency if budget is not None and budget.currency in EUR_RATES else "USD"
    return Frame(
        destination=destination,
        stops=stops,
        start=start,
        end=start + timedelta(days=nights),
        assumed=assumed,
        date_note=note,
        adults=adults,
        children=children,
        rooms=max(math.ceil(adults / 2), math.ceil((adults + children) / 4)),
        currency=currency,
        origin=slots.origin
        if slots.origin is not None and not _same_place(slots.origin, destination)
        else None,
        interests=list(slots.interests),
        budget=budget,
        notes=notes,
    )


def _same_place(a: Place, b: Place) -> bool:
    return a.name == b.name or (a.iata is not None and a.iata == b.iata and a.kind == b.kind == "city")


def _dates(slots: TravelSlots, today: date, stop_nights: int | None) -> tuple[date, int, bool, str | None]:
    """(start, nights, assumed, note): the user's dates, or assumed ones and how."""
    length = stop_nights or slots.duration_days
    end = slots.trip_end()
    if slots.departure_date is not None:
        start = slots.departure_date
        if end is not None:
            return start, max((end - start).days, 1), False, None
        nights = length or DEFAULT_NIGHTS
        if length:
            return start, nights, False, None
        return start, nights, True, f"no return date given: assumed {nights} nights"
    nights = length or DEFAULT_NIGHTS
    if slots.month is not None:
        year = today.year if slots.month >= today.month else today.year + 1
        start = max(date(year, slots.month, 15), today + timedelta(days=1))
        why = f"no exact dates in {start:%B}: assumed {_span(start, nights)}"
    else:
        start = today + timedelta(days=LEAD_DAYS)
        why = f"no dates given: assumed {_span(start, nights)}, four weeks from now"
    if not length:
        why += f" ({nights} nights)"
    return start, nights, True, why


def _span(start: date, nights: int) -> str:
    end = start + timedelta(days=nights)
    if start.month == end.month:
        return f"{start:%b} {start.day}–{end.day}, {end.year}"
    return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"


def _split(total: int, wanted: list[int | None]) -> list[int]:
    """Nights per stop: the given ones, the rest shared evenly (earlier stops get the remainder)."""
    fixed = sum(n for n in wanted if n)
    free = [i for i, n in enumerate(wanted) if not n]
    left = max(total - fixed, len(free))
    nights = [n or 0 for n in wanted]
    for rank, i in enumerate(free):
        nights[i] = left // len(free) + (1 if rank < left % len(free) else 0)
    return [max(n, 1) for n in nights]


# --- 2. the tool calls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    kind: Literal["outbound", "between", "return"]
    origin: Place
    destination: Place
    day: date


def _hops(trip: Frame) -> list[Leg]:
    """Every journey of the trip, by whatever means: out to the first stop, between stops, back."""
    found: list[Leg] = []
    if trip.origin is not None:
        found.append(Leg("outbound", trip.origin, trip.stops[0].place, trip.start))
    for previous, stop in zip(trip.stops, trip.stops[1:], strict=False):
        found.append(Leg("between", previous.place, stop.place, stop.check_in))
    if trip.origin is not None:
        found.append(Leg("return", trip.stops[-1].place, trip.origin, trip.end))
    return found


def legs(trip: Frame) -> list[Leg]:
    """The flights of the trip: out to the first stop, between stops far apart, back from the last;
    never a journey a rail link covers (those are :func:`trains`)."""
    found: list[Leg] = []
    gateway = trip.destination
    for hop in _hops(trip):
        if _rail(hop.origin, hop.destination) is not None:
            continue
        if hop.kind == "outbound":
            found.append(Leg("outbound", hop.origin, _airport(hop.destination, gateway), hop.day))
        elif hop.kind == "return":
            found.append(Leg("return", _airport(hop.origin, gateway), hop.destination, hop.day))
        elif _flight_needed(hop.origin, hop.destination):
            found.append(hop)
    return found


def _airport(place: Place, gateway: Place) -> Place:
    return place if place.iata else gateway


def _rail(a: Place, b: Place) -> RailLink | None:
    """The listed train between two curated stops (by their destination keys), if any."""
    from ..tools.destination import key
    from ..tools.rail import rail_link

    if not a.iata or not b.iata:
        return None
    return rail_link(key(a.iata, a.name), key(b.iata, b.name))


def trains(trip: Frame) -> list[PlanTrain]:
    """The trains of every journey a rail link covers (out, between stops, back), priced for everyone."""
    found: list[PlanTrain] = []
    for hop in _hops(trip):
        link = _rail(hop.origin, hop.destination)
        if link is None:
            continue
        fare = _convert(link.fare_eur, "EUR", trip.currency)
        found.append(
            PlanTrain(
                leg=hop.kind,
                **{"from": hop.origin.name},
                to=hop.destination.name,
                date=hop.day,
                service=link.service,
                duration_minutes=link.minutes,
                price_per_person=fare,
                total=_money(fare.amount * trip.seats, trip.currency),
                note=f"about {link.duration()}; typical fare, not a quote",
            )
        )
    return found


def _flight_needed(a: Place, b: Place) -> bool:
    from ..tools.places import distance_km

    if not a.iata or not b.iata or a.iata == b.iata or None in (a.lat, a.lon, b.lat, b.lon):
        return False
    return distance_km(a.lat or 0, a.lon or 0, b.lat or 0, b.lon or 0) >= GROUND_KM


def calls(trip: Frame) -> list[PlannedCall]:
    """Every tool call the plan needs, in the order :func:`assemble` reads them."""
    planned: list[PlannedCall] = []
    for stop in trip.stops:
        place = stop.place
        weather: dict[str, Any] = {
            "place": place.query(),
            "date": stop.check_in.isoformat(),
            "days": min(max(stop.nights, 1), 14),
        }
        if place.lat is not None and place.lon is not None:
            weather.update(latitude=place.lat, longitude=place.lon)
        planned.append(PlannedCall(tool="weather", arguments=weather))
        planned.append(
            PlannedCall(
                tool="hotels",
                arguments={
                    "city": place.query(),
                    "check_in": stop.check_in.isoformat(),
                    "nights": min(max(stop.nights, 1), 30),
                    "guests": 1 if trip.seats == 1 else 2,
                    "currency": trip.currency,
                },
            )
        )
        sights: dict[str, Any] = {
            "city": place.query(),
            "interests": trip.interests,
            "limit": min(20, MAX_SIGHTS_PER_DAY * stop.nights + 3),
        }
        if place.lat is not None and place.lon is not None:
            sights.update(latitude=place.lat, longitude=place.lon)
        planned.append(PlannedCall(tool="attractions", arguments=sights))
    for leg in legs(trip):
        adults, children = (trip.adults, trip.children) if trip.seats <= MAX_SEATS else (1, 0)
        arguments: dict[str, Any] = {
            "origin": leg.origin.iata or leg.origin.name,
            "destination": leg.destination.iata or leg.destination.name,
            "departure_date": leg.day.isoformat(),
            "adults": adults,
            "currency": trip.currency,
        }
        if children:
            arguments["children"] = children
        planned.append(PlannedCall(tool="flights", arguments=arguments))
    return planned


# --- 3. the plan ----------------------------------------------------------------------------------------


@dataclass
class _Priced:
    flights: list[PlanFlight]
    hotels: list[PlanHotel]
    converted: bool


def assemble(trip: Frame, results: list[ToolResult], choices: Choices = Choices()) -> TripPlan:
    """The plan from :func:`calls`' results (same order) with ``choices`` applied."""
    per_stop = results[: 3 * len(trip.stops)]
    flight_results = results[3 * len(trip.stops) :]
    notes = list(trip.notes)
    if trip.date_note:
        notes.insert(0, trip.date_note)
    chosen = _price(trip, per_stop, flight_results, choices, notes)
    cheapest = _price(trip, per_stop, flight_results, Choices("budget", "cheapest"), [])
    rides = trains(trip)
    flights_cost = _sum([flight.total for flight in chosen.flights], trip.currency)
    hotels_cost = _sum([hotel.total for hotel in chosen.hotels], trip.currency)
    trains_cost = _sum([ride.total for ride in rides], trip.currency) if rides else None
    total = _money(
        flights_cost.amount + hotels_cost.amount + (trains_cost.amount if trains_cost else 0), trip.currency
    )
    if trip.origin is None:
        notes.append("no flights yet: tell me where you're travelling from")
    generic = [stop.place.name for stop, r in zip(trip.stops, per_stop[2::3], strict=True) if _generic(r)]
    if generic:
        notes.append(
            f"no curated sights for {', '.join(generic)} in my offline list: the days use generic ideas"
        )
    failed = sorted({r.tool for r in results if not r.ok})
    if failed:
        notes.append(f"{', '.join(failed)} unavailable right now: not included")
    budget = _budget(trip, total, cheapest, trains_cost.amount if trains_cost else 0.0, notes)
    offline = any(r.ok and r.offline for r in results)
    weather = [
        PlanWeather(stop=stop.place.name, summary=_clip(_weather_text(result), 120), offline=result.offline)
        for stop, result in zip(trip.stops, per_stop[0::3], strict=True)
        if result.ok and _weather_text(result)
    ]
    plan = TripPlan(
        summary="",
        destination=PlanPlace(name=trip.destination.label(), country=trip.destination.country),
        stops=[
            PlanStop(name=s.place.name, country=s.place.country, region=s.place.region, nights=s.nights)
            for s in trip.stops
        ],
        dates=PlanDates(
            start=trip.start, end=trip.end, nights=trip.nights, assumed=trip.assumed, note=trip.date_note
        ),
        party=Party(adults=trip.adults, children=trip.children, rooms=trip.rooms),
        currency=trip.currency,
        flights=chosen.flights,
        trains=rides,
        hotels=chosen.hotels,
        itinerary=_itinerary(trip, per_stop[2::3], chosen, rides),
        costs=PlanCosts(
            flights=flights_cost, hotels=hotels_cost, activities=None, total=total, trains=trains_cost
        ),
        budget=budget,
        rates=_rates(trip.currency)
        if chosen.converted or ((offline or rides) and trip.currency != "EUR")
        else None,
        origin=PlanPlace(name=trip.origin.label(), country=trip.origin.country) if trip.origin else None,
        weather=weather,
        notes=[_clip(note, 160) for note in notes[:8]],
        offline=offline,
    )
    return plan.model_copy(update={"summary": summary(plan)})


def summary(plan: TripPlan) -> str:
    """One line: where, when, who, and the total against the budget."""
    where = " → ".join(stop.name for stop in plan.stops) if len(plan.stops) > 1 else plan.destination.name
    if plan.origin is not None:
        where += f" from {plan.origin.name}"
    when = (
        _span(plan.dates.start, plan.dates.nights)
        + f" ({plan.dates.nights} nights"
        + (", assumed)" if plan.dates.assumed else ")")
    )
    text = f"{where}, {when}, {plan.party.describe()}: {plan.costs.total.describe()}"
    budget = plan.budget
    if budget is not None and budget.status == "fits" and budget.remaining is not None:
        text += f", within your {budget.amount.describe()} budget ({budget.remaining.describe()} left)"
    elif budget is not None and budget.status == "over" and budget.over is not None:
        text += f", {budget.over.describe()} over your {budget.amount.describe()} budget"
    return text


def _price(
    trip: Frame,
    per_stop: list[ToolResult],
    flight_results: list[ToolResult],
    choices: Choices,
    notes: list[str],
) -> _Priced:
    converted = False
    hotels: list[PlanHotel] = []
    for stop, result in zip(trip.stops, per_stop[1::3], strict=True):
        offers = _offers(result)
        if not offers:
            continue
        offer = _pick_hotel(offers, choices.hotel)
        per_room = _convert(
            float(offer.get("price_per_night") or 0),
            str(offer.get("currency") or trip.currency),
            trip.currency,
        )
        converted |= str(offer.get("currency")) != trip.currency
        nightly = _money(per_room.amount * trip.rooms, trip.currency)
        hotels.append(
            PlanHotel(
                stop=stop.place.name,
                name=_clip(str(offer.get("name") or "Hotel"), 80),
                nights=stop.nights,
                rooms=trip.rooms,
                price_per_night=nightly,
                total=_money(nightly.amount * stop.nights, trip.currency),
                rating=offer.get("rating") if isinstance(offer.get("rating"), (int, float)) else None,
                category=str(offer["category"]) if offer.get("category") else choices.hotel,
                price_per_room_night=per_room,
            )
        )
    flights: list[PlanFlight] = []
    for leg, result in zip(legs(trip), flight_results, strict=False):
        offers = sorted(_offers(result), key=lambda o: float(o.get("price_total") or 0))
        if not offers:
            continue
        offer = _pick_flight(offers, choices.flight)
        total = _convert(
            float(offer.get("price_total") or 0), str(offer.get("currency") or trip.currency), trip.currency
        )
        converted |= str(offer.get("currency")) != trip.currency
        if trip.seats > MAX_SEATS:
            total = _money(total.amount * trip.seats, trip.currency)
            if leg.kind == "outbound":
                notes.append(f"{trip.seats} travellers: flights priced per person, as for one traveller")
        outbound = offer.get("outbound") or {}
        carriers = [str(c) for c in offer.get("carriers") or []]
        numbers = [str(n) for n in outbound.get("flights") or []]
        flights.append(
            PlanFlight(
                leg=leg.kind,
                **{"from": str(outbound.get("departure_airport") or leg.origin.iata or leg.origin.name)},
                to=str(outbound.get("arrival_airport") or leg.destination.iata or leg.destination.name),
                date=leg.day,
                carrier=_clip(", ".join(carriers), 60)
                or ("sample fare" if result.offline else "airline not given"),
                flight_number=numbers[0] if numbers else None,
                depart=_clock(outbound.get("departure_at")),
                arrive=_clock(outbound.get("arrival_at")),
                stops=int(outbound.get("stops") or 0),
                price_per_person=_money(total.amount / max(trip.seats, 1), trip.currency),
                total=total,
            )
        )
    return _Priced(flights, hotels, converted)


def _offers(result: ToolResult) -> list[dict[str, Any]]:
    data = result.data if result.ok and isinstance(result.data, dict) else {}
    offers = data.get("offers")
    return [offer for offer in offers if isinstance(offer, dict)] if isinstance(offers, list) else []


def _pick_hotel(offers: list[dict[str, Any]], level: HotelLevel) -> dict[str, Any]:
    ordered = sorted(offers, key=lambda o: float(o.get("price_per_night") or 0))
    same = [o for o in ordered if str(o.get("category") or "").lower() == level]
    if same:
        return same[0] if level != "upscale" else same[-1]
    index = {"budget": 0, "mid-range": len(ordered) // 2, "upscale": len(ordered) - 1}[level]
    return ordered[index]


def _pick_flight(offers: list[dict[str, Any]], choice: FlightChoice) -> dict[str, Any]:
    cheapest = offers[0]
    if choice == "cheapest":
        return cheapest
    nonstop = [o for o in offers if int((o.get("outbound") or {}).get("stops") or 0) == 0]
    if nonstop and float(nonstop[0].get("price_total") or 0) <= 1.25 * float(
        cheapest.get("price_total") or 0
    ):
        return nonstop[0]
    return cheapest


def _budget(
    trip: Frame, total: PlanMoney, cheapest: _Priced, rail: float, notes: list[str]
) -> PlanBudget | None:
    budget = trip.budget
    if budget is None:
        return None
    cheapest_total = (
        sum(f.total.amount for f in cheapest.flights) + sum(h.total.amount for h in cheapest.hotels) + rail
    )
    try:
        cap = _money(convert(budget.amount, budget.currency, trip.currency), trip.currency)
    except KeyError:
        return PlanBudget(amount=PlanMoney(amount=budget.amount, currency=budget.currency), status="unknown")
    if budget.currency != trip.currency:
        notes.append(f"budget converted from {budget.describe()} at fixed offline rates")
    if total.amount <= cap.amount:
        return PlanBudget(
            amount=cap, status="fits", remaining=_money(cap.amount - total.amount, trip.currency)
        )
    over = _money(total.amount - cap.amount, trip.currency)
    lowest = _money(cheapest_total, trip.currency)
    if cheapest_total < total.amount and cheapest_total <= cap.amount:
        suggestion = (
            f"Budget hotels and the cheapest flights come to {lowest.describe()}, within budget "
            f"({_money(cap.amount - cheapest_total, trip.currency).describe()} left)."
        )
    else:
        nightly = sum(h.price_per_night.amount for h in cheapest.hotels) / max(len(cheapest.hotels), 1)
        fewer = math.ceil((cheapest_total - cap.amount) / nightly) if nightly else 0
        suggestion = f"Even the cheapest choices come to {lowest.describe()}"
        if 0 < fewer < trip.nights:
            suggestion += f"; {fewer} fewer night{'s' if fewer != 1 else ''} on budget hotels would fit."
        else:
            suggestion += "; a larger budget or a cheaper destination would be needed."
    return PlanBudget(amount=cap, status="over", over=over, suggestion=suggestion)


def _itinerary(
    trip: Frame, sight_results: list[ToolResult], priced: _Priced, rides: list[PlanTrain]
) -> list[PlanDay]:
    days: list[PlanDay] = []
    by_rail = {(ride.from_, ride.to): ride for ride in rides}
    hotels = {hotel.stop: hotel.name for hotel in priced.hotels}
    arrivals = {flight.to: flight for flight in priced.flights if flight.leg != "return"}
    for index, (stop, result) in enumerate(zip(trip.stops, sight_results, strict=True)):
        sights, food = _sights(result)
        name = stop.place.name
        for offset in range(stop.nights):
            day = stop.check_in + timedelta(days=offset)
            items: list[PlanItem] = []
            if offset == 0:
                flight = arrivals.get(stop.place.iata or "") if index == 0 or trip.origin else None
                outbound = next((ride for ride in rides if ride.leg == "outbound"), None)
                if index == 0 and outbound is not None:
                    title = f"Arrive in {name}"
                    items.append(_transfer(outbound.from_, name, None, by_rail))
                elif index == 0:
                    title = f"Arrive in {name}"
                    items.append(_arrival(flight, name))
                else:
                    title = f"Travel to {name}"
                    items.append(_transfer(trip.stops[index - 1].place.name, name, flight, by_rail))
                if name in hotels:
                    items.append(PlanItem(name=f"Check in at {hotels[name]}", kind="hotel"))
                picked = sights[:1]
                del sights[:1]
            else:
                picked = sights[:MAX_SIGHTS_PER_DAY]
                del sights[:MAX_SIGHTS_PER_DAY]
                title = (
                    f"{name}: " + " · ".join(item.name for item in picked)
                    if picked
                    else f"Free day in {name}"
                )
            items.extend(picked)
            if food and offset > 0:
                items.append(food.pop(0))
            if not picked and offset > 0:
                items.append(
                    PlanItem(
                        name=f"Explore {name} at your own pace", kind="free", note="no more sights in my list"
                    )
                )
            days.append(
                PlanDay(day=len(days) + 1, date=day, stop=name, title=_clip(title, 100), items=items[:4])
            )
    last = trip.stops[-1].place.name
    home = next((flight for flight in priced.flights if flight.leg == "return"), None)
    items = [PlanItem(name=f"Check out in {last}", kind="hotel")]
    if home is not None:
        items.append(PlanItem(name=f"Fly {home.from_} → {home.to}", kind="flight", note=_times(home)))
    for ride in rides:
        if ride.leg == "return":
            items.append(_transfer(ride.from_, ride.to, None, by_rail))
    days.append(PlanDay(day=len(days) + 1, date=trip.end, stop=last, title="Departure", items=items))
    return days


def _transfer(
    previous: str, name: str, flight: PlanFlight | None, by_rail: dict[tuple[str, str], PlanTrain]
) -> PlanItem:
    """The travel item between two stops: the train, the flight, or unpriced ground transport."""
    from ..tools.rail import duration_text

    ride = by_rail.get((previous, name))
    if ride is not None:
        took = duration_text(ride.duration_minutes)
        return PlanItem(
            name=f"Train {previous} → {name}",
            kind="train",
            note=f"{ride.service}, about {took}, {ride.price_per_person.describe()} per person",
        )
    by_air = flight is not None and flight.leg == "between"
    how = (
        f"flight {flight.from_} → {flight.to}"
        if by_air and flight
        else "by train, road or ferry (not priced)"
    )
    return PlanItem(name=f"Travel from {previous} to {name}", kind="travel", note=how)


def _arrival(flight: PlanFlight | None, name: str) -> PlanItem:
    if flight is None:
        return PlanItem(name=f"Arrive in {name}", kind="travel")
    return PlanItem(name=f"Fly {flight.from_} → {flight.to}", kind="flight", note=_times(flight))


def _times(flight: PlanFlight) -> str | None:
    if flight.depart and flight.arrive:
        return f"departs {flight.depart}, arrives {flight.arrive}"
    return None


def _sights(result: ToolResult) -> tuple[list[PlanItem], list[PlanItem]]:
    data = result.data if result.ok and isinstance(result.data, dict) else {}
    found = data.get("attractions") if isinstance(data.get("attractions"), list) else []
    sights: list[PlanItem] = []
    food: list[PlanItem] = []
    for entry in found or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        item = PlanItem(
            name=_clip(str(entry["name"]), 80),
            kind=_clip(str(entry.get("category") or "sight"), 30),
            note=_clip(str(entry["description"]), 100) if entry.get("description") else None,
        )
        (food if item.kind == "food" else sights).append(item)
    return sights, food


def _generic(result: ToolResult) -> bool:
    """Whether the attractions are generic ideas, not the place's own sights (the tool says so in a note)."""
    data = result.data if result.ok and isinstance(result.data, dict) else {}
    return any("generic" in str(note) for note in data.get("notes") or [])


def _weather_text(result: ToolResult) -> str:
    data = result.data if isinstance(result.data, dict) else {}
    summary_data = data.get("summary")
    return str(summary_data.get("description") or "") if isinstance(summary_data, dict) else ""


def _rates(currency: str) -> PlanRates:
    from ..tools.offline import EUR_RATES

    rate = EUR_RATES.get(currency, 1.0)
    usd = "" if currency in ("USD", "EUR") else f", 1 EUR = {EUR_RATES['USD']:g} USD"
    return PlanRates(
        note=f"Prices converted at fixed offline rates: 1 EUR = {rate:g} {currency}{usd} "
        "(approximate, not live)."
    )


def convert(amount: float, source: str, target: str) -> float:
    """``amount`` in ``source`` currency in ``target``, at the fixed offline rates (KeyError if unknown)."""
    from ..tools.offline import EUR_RATES

    if source == target:
        return amount
    return amount / EUR_RATES[source] * EUR_RATES[target]


def _convert(amount: float, source: str, target: str) -> PlanMoney:
    try:
        return _money(convert(amount, source, target), target)
    except KeyError:
        return _money(amount, target)


def _money(amount: float, currency: str) -> PlanMoney:
    digits = 0 if currency in _NO_DECIMALS else 2
    return PlanMoney(amount=round(amount, digits), currency=currency)


def _sum(amounts: list[PlanMoney], currency: str) -> PlanMoney:
    return _money(sum(money.amount for money in amounts), currency)


def _clock(value: Any) -> str | None:
    text = str(value or "")
    return text[11:16] if len(text) >= 16 and text[10] == "T" else None


def _clip(text: str, limit: int) -> str:
    from .composer import clean

    return clean(text, limit)
