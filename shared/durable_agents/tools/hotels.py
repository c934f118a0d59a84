"""The hotels tool: Amadeus hotel offers (live) and price-tier estimates (offline)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from pydantic import BaseModel

from . import places
from .amadeus import AmadeusClient
from .dates import travel_date, utc_today
from .models import HotelOffer, HotelParams, HotelSearch, Reply, Source, Tool
from .offline import offline_source, price_in, seeded
from .upstream import parse

NAME = "hotels"
DESCRIPTION = (
    "Find hotel offers in a city for a check-in date and number of nights, optionally within a "
    "budget per night."
)
BY_CITY_PATH = "/v1/reference-data/locations/hotels/by-city"
OFFERS_PATH = "/v3/shopping/hotel-offers"
MAX_HOTELS = 20
"""Hotel ids asked about in one offers request (the URL carries them all)."""
MAX_OFFERS = 10


def tool(provider: Callable[[HotelParams], Reply]) -> Tool:
    return Tool(NAME, DESCRIPTION, HotelParams, HotelSearch, provider)


def _within_budget(per_night: float, currency: str, params: HotelParams) -> bool | None:
    if params.budget_per_night is None or currency != params.currency:
        return None
    return per_night <= params.budget_per_night


# --- live ---------------------------------------------------------------------------------------------


class _GeoCode(BaseModel):
    latitude: float
    longitude: float


class _HotelRef(BaseModel):
    hotelId: str
    name: str | None = None
    geoCode: _GeoCode | None = None


class _HotelList(BaseModel):
    data: list[_HotelRef]


class _Text(BaseModel):
    text: str | None = None


class _TypeEstimated(BaseModel):
    category: str | None = None


class _Room(BaseModel):
    typeEstimated: _TypeEstimated | None = None
    description: _Text | None = None


class _OfferPrice(BaseModel):
    currency: str
    total: float


class _RoomOffer(BaseModel):
    room: _Room | None = None
    price: _OfferPrice


class _HotelInfo(BaseModel):
    hotelId: str
    name: str
    latitude: float | None = None
    longitude: float | None = None


class _HotelOffers(BaseModel):
    hotel: _HotelInfo
    available: bool = True
    offers: list[_RoomOffer] = []


class _HotelOffersResponse(BaseModel):
    data: list[_HotelOffers] = []  # absent when no hotel has availability


class AmadeusHotels:
    """Live offers: Amadeus hotel list by city, then ``/v3/shopping/hotel-offers`` for those hotels."""

    def __init__(self, client: AmadeusClient, *, today: Callable[[], dt.date] = utc_today) -> None:
        self._client = client
        self._today = today

    def __call__(self, params: HotelParams) -> Reply:
        check_in, date_note = travel_date(params.check_in, None, self._today())
        check_out = check_in + dt.timedelta(days=params.nights)
        notes = [date_note] if date_note else []
        city_code = self._client.location_code(params.city, "CITY")
        listing = [("cityCode", city_code), ("radius", "20"), ("radiusUnit", "KM"), ("hotelSource", "ALL")]
        hotels = parse(_HotelList, self._client.get(BY_CITY_PATH, listing), "amadeus").data[:MAX_HOTELS]
        offers: list[HotelOffer] = []
        if not hotels:
            notes.append(f"Amadeus lists no hotels for {city_code}")
        else:
            query = [
                ("hotelIds", ",".join(h.hotelId for h in hotels)),
                ("adults", str(params.guests)),
                ("checkInDate", check_in.isoformat()),
                ("checkOutDate", check_out.isoformat()),
                ("roomQuantity", "1"),
                ("currency", params.currency),
                ("bestRateOnly", "true"),
            ]
            if params.budget_per_night is not None:
                query.append(("priceRange", f"-{math.ceil(params.budget_per_night)}"))
            found = parse(_HotelOffersResponse, self._client.get(OFFERS_PATH, query), "amadeus").data
            offers = [_offer(entry, params) for entry in found if entry.available and entry.offers]
            offers = sorted(offers, key=lambda offer: offer.price_per_night)[:MAX_OFFERS]
            if not offers:
                notes.append(
                    "no availability for these dates" + (" within budget" if params.budget_per_night else "")
                )
        search = HotelSearch(
            city=params.city,
            city_code=city_code,
            check_in=check_in,
            check_out=check_out,
            nights=params.nights,
            guests=params.guests,
            currency=params.currency,
            budget_per_night=params.budget_per_night,
            offers=offers,
            notes=notes,
        )
        note = "Amadeus test environment: sample rates" if self._client.is_test_environment else "live rates"
        return Reply(
            data=search,
            source=Source(name="amadeus", url="https://developers.amadeus.com/", offline=False, note=note),
        )


def _offer(entry: _HotelOffers, params: HotelParams) -> HotelOffer:
    cheapest = min(entry.offers, key=lambda offer: offer.price.total)
    room = cheapest.room or _Room()
    category = room.typeEstimated.category if room.typeEstimated else None
    description = " ".join((room.description.text or "").split())[:160] if room.description else ""
    per_night = round(cheapest.price.total / params.nights, 2)
    return HotelOffer(
        name=entry.hotel.name.title(),
        hotel_id=entry.hotel.hotelId,
        category=category.replace("_", " ").capitalize() if category else None,
        price_total=cheapest.price.total,
        price_per_night=per_night,
        currency=cheapest.price.currency,
        room=description or None,
        within_budget=_within_budget(per_night, cheapest.price.currency, params),
        latitude=entry.hotel.latitude,
        longitude=entry.hotel.longitude,
    )


# --- offline ------------------------------------------------------------------------------------------

TIER_NIGHTLY_EUR = {1: 240.0, 2: 170.0, 3: 115.0, 4: 70.0}
"""A mid-range double room per night, by city price tier."""
UNKNOWN_TIER = 3
_CATEGORIES = (
    ("budget", 0.5, ("{city} Budget Inn", "Hostel & Rooms {city}")),
    ("mid-range", 1.0, ("Hotel Central {city}", "{city} City Hotel")),
    ("upscale", 2.1, ("Grand Hotel {city}", "{city} Palace Hotel")),
)
_GUESTS_PER_ROOM = 2


class OfflineHotels:
    """Nightly prices from the city's price tier, the season and the party size; no network."""

    def __init__(self, *, today: Callable[[], dt.date] = utc_today) -> None:
        self._today = today

    def __call__(self, params: HotelParams) -> Reply:
        check_in, date_note = travel_date(params.check_in, None, self._today())
        notes = [date_note] if date_note else []
        place = places.locate(params.city)
        if place is None or place.tier is None:
            notes.append(f"price level of {params.city!r} unknown: generic estimate")
        tier = place.tier if place is not None and place.tier is not None else UNKNOWN_TIER
        own_level = place is not None and place.curated and place.name in places.CITY_TIERS
        if place is not None and place.tier is not None and not own_level:
            notes.append(f"price level of {place.name} estimated from its country")
        name = place.name if place is not None else params.city
        rooms = math.ceil(params.guests / _GUESTS_PER_ROOM)
        if rooms > 1:
            notes.append(f"priced as {rooms} rooms for {params.guests} guests")
        season = season_factor(check_in, place.latitude if place is not None else 45.0)
        rng = seeded(NAME, params.model_dump_json(), check_in)
        offers: list[HotelOffer] = []
        for category, factor, names in _CATEGORIES:
            for template in names:
                nightly_eur = TIER_NIGHTLY_EUR[tier] * factor * season * rooms * rng.uniform(0.85, 1.2)
                per_night, currency = price_in(nightly_eur, params.currency)
                offers.append(
                    HotelOffer(
                        name=template.format(city=name),
                        category=category,
                        price_per_night=per_night,
                        price_total=round(per_night * params.nights, 2),
                        currency=currency,
                        room=f"{rooms} double room{'s' if rooms > 1 else ''}",
                        within_budget=_within_budget(per_night, currency, params),
                    )
                )
        if offers[0].currency != params.currency:
            notes.append(f"no offline rate for {params.currency}: prices in EUR")
        offers.sort(key=lambda offer: offer.price_per_night)
        if params.budget_per_night is not None:
            affordable = [offer for offer in offers if offer.within_budget]
            if not affordable:
                notes.append("nothing within budget: the cheapest options instead")
            offers = affordable or offers[:2]
        search = HotelSearch(
            city=name,
            city_code=place.iata if place is not None else None,
            check_in=check_in,
            check_out=check_in + dt.timedelta(days=params.nights),
            nights=params.nights,
            guests=params.guests,
            currency=offers[0].currency,
            budget_per_night=params.budget_per_night,
            offers=offers,
            notes=notes,
        )
        return Reply(data=search, source=offline_source())


def season_factor(day: dt.date, latitude: float) -> float:
    """Peak summer and the Christmas weeks cost more; the low season less."""
    summer = (6, 7, 8) if latitude >= 0 else (12, 1, 2)
    if day.month in summer:
        return 1.2
    if day.month == 12:
        return 1.1
    return 0.9 if day.month in ((1, 2, 11) if latitude >= 0 else (5, 6, 7)) else 1.0
