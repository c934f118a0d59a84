"""Where places are, for the tools: the one gazetteer (:mod:`durable_agents.llm.gazetteer`) plus prices.

A tool resolves a city name or an IATA code through the gazetteer (curated destinations, regions,
countries, every city with an airport; "Portland, Maine" picks Maine's) and gets a :class:`Place` with
coordinates, a code for Amadeus (an IATA *city* code where a metropolitan area has one: PAR, LON, NYC;
else the airport's) and a price tier for the offline estimates: the city's own where known, else its
country's. What is known of a city by its name (its city code, its price level, the offline sights and
food) is only ever that curated destination's: Paris, Texas gets none of Paris's. Nothing is loaded at
import time; the gazetteer reads its table on first use.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

IATA_CODE = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True)
class Place:
    """A resolved place. ``tier`` is the price level (1 = most expensive .. 4), None when unknown."""

    name: str
    country: str
    latitude: float
    longitude: float
    iata: str | None = None
    tier: int | None = None
    elevation_m: int = 0
    curated: bool = False
    """A curated destination: the offline data by city name (sights, food, price level) are its own."""
    airport: str | None = None
    """The airport a trip flies into (``iata`` may be the metropolitan code): with the name, the key
    of a curated destination's record (:mod:`.destination`)."""


CITY_CODES: dict[str, str] = {
    "Paris": "PAR", "London": "LON", "New York": "NYC", "Tokyo": "TYO", "Rome": "ROM", "Milan": "MIL",
    "Chicago": "CHI", "Toronto": "YTO", "Rio de Janeiro": "RIO", "Buenos Aires": "BUE", "Seoul": "SEL",
    "Reykjavik": "REK", "Stockholm": "STO", "Moscow": "MOW", "Washington, D.C.": "WAS", "Sao Paulo": "SAO",
    "Osaka": "OSA", "Beijing": "BJS", "Shanghai": "SHA", "Bucharest": "BUH", "Montreal": "YMQ",
    "Berlin": "BER", "Jakarta": "JKT", "Dubai": "DXB", "Bangkok": "BKK", "Istanbul": "IST",
}  # fmt: skip
"""IATA metropolitan-area codes (what Amadeus wants for hotel searches) where they differ from one airport."""

CITY_TIERS: dict[str, int] = {
    "Paris": 1, "London": 1, "New York": 1, "Amsterdam": 1, "Copenhagen": 1, "Dublin": 1, "Reykjavik": 1,
    "Venice": 1, "Singapore": 1, "San Francisco": 1, "Zurich": 1, "Geneva": 1, "Oslo": 1, "Monaco": 1,
    "Santorini": 1, "Mykonos": 1, "Bora Bora": 1, "Aspen": 1, "Honolulu": 1, "Maui": 1,
    "Tokyo": 2, "Rome": 2, "Barcelona": 2, "Berlin": 2, "Madrid": 2, "Lisbon": 2, "Vienna": 2,
    "Edinburgh": 2, "Florence": 2, "Dubai": 2, "Hong Kong": 2, "Sydney": 2, "Los Angeles": 2,
    "Chicago": 2, "Miami": 2, "Toronto": 2, "Istanbul": 3, "Prague": 3, "Budapest": 3, "Athens": 3,
    "Seoul": 3, "Rio de Janeiro": 3, "Cape Town": 3, "Bangkok": 4, "Mexico City": 4, "Buenos Aires": 4,
    "Cairo": 4, "Marrakech": 4,
}  # fmt: skip
COUNTRY_TIERS: dict[str, int] = {
    "CH": 1, "NO": 1, "IS": 1, "DK": 1, "MC": 1, "SG": 1, "MV": 1, "PF": 1, "BS": 1, "SC": 1,
    "US": 2, "GB": 2, "IE": 2, "FR": 2, "NL": 2, "BE": 2, "LU": 2, "DE": 2, "AT": 2, "SE": 2, "FI": 2,
    "IT": 2, "ES": 2, "JP": 2, "AU": 2, "NZ": 2, "CA": 2, "AE": 2, "QA": 2, "IL": 2, "HK": 2, "KR": 2,
    "PT": 3, "GR": 3, "CY": 3, "MT": 3, "HR": 3, "SI": 3, "CZ": 3, "PL": 3, "HU": 3, "EE": 3, "LV": 3,
    "LT": 3, "SK": 3, "TW": 3, "CN": 3, "CL": 3, "UY": 3, "CR": 3, "PA": 3, "BB": 3, "AW": 3, "JM": 3,
    "PR": 3, "ZA": 3, "MU": 3, "OM": 3, "SA": 3, "BR": 3, "DO": 3, "MX": 3, "TR": 3, "RO": 3, "BG": 3,
    "RS": 3, "ME": 3, "AL": 3, "GE": 3, "AM": 3, "AZ": 3, "RU": 3, "JO": 3, "LB": 3,
}  # fmt: skip
"""Price tiers by country, for cities without their own; anywhere else is tier 4 (cheapest)."""
DEFAULT_TIER = 4


def normalise(text: str) -> str:
    """Case-folded, accent-free, single-spaced; only the part before a comma ('Lisbon, Portugal')."""
    head = text.split(",", 1)[0]
    ascii_text = unicodedata.normalize("NFKD", head).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.casefold().split())


def tier_of(name: str, country: str | None, *, curated: bool = True) -> int:
    """The price tier of a city (a curated destination's own, else its country's, else the cheapest)."""
    own = CITY_TIERS.get(name) if curated else None
    return own or COUNTRY_TIERS.get(country or "", DEFAULT_TIER)


def locate(text: str) -> Place | None:
    """A place for a city, region or country name ("Portland, Maine" too) or an IATA airport/city code."""
    from ..llm.gazetteer import gazetteer

    stripped = text.strip()
    code = stripped.upper() if IATA_CODE.match(stripped) else None
    if code is not None and code in CITY_CODES.values():
        name = next(city for city, value in CITY_CODES.items() if value == code)
        found = gazetteer().lookup(name)
    else:
        found = gazetteer().lookup(stripped)
    if found is None or found.lat is None or found.lon is None:
        return None
    curated = gazetteer().is_curated(found.name, found.country)
    return Place(
        name=found.name,
        country=found.country or "",
        latitude=found.lat,
        longitude=found.lon,
        iata=code or (CITY_CODES.get(found.name) if curated else None) or found.iata,
        tier=tier_of(found.name, found.country, curated=curated),
        elevation_m=gazetteer().elevation(found.iata),
        curated=curated,
        airport=found.iata,
    )


def city(text: str) -> Place | None:
    """The same as :func:`locate` (kept for the Amadeus client's city-code lookup)."""
    return locate(text)


def mentioned_city(text: str) -> Place | None:
    """The first curated destination named (as whole words, longest name first) anywhere in free text."""
    from ..llm.gazetteer import gazetteer, normalize

    index = gazetteer()
    words = normalize(text).split()
    for start in range(len(words)):
        for size in range(min(4, len(words) - start), 0, -1):
            key = " ".join(words[start : start + size])
            entries = [e for e in index.entries(key) if e.kind == "destination" and not e.guarded]
            if len(key) > 3 and entries:
                return locate(entries[0].place.name)
    return None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
