"""Where places are: a small gazetteer of popular cities, plus every airport from ``airportsdata``.

The gazetteer gives the offline providers coordinates, an IATA *city* code (PAR, LON, NYC: what Amadeus
wants for hotel and flight searches) and a price tier; ``airportsdata`` (loaded lazily, once) resolves
airport codes and less common cities to coordinates.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airportsdata import Airport

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


CITIES: tuple[Place, ...] = (
    Place("Paris", "FR", 48.8566, 2.3522, "PAR", 1),
    Place("London", "GB", 51.5074, -0.1278, "LON", 1),
    Place("New York", "US", 40.7128, -74.0060, "NYC", 1),
    Place("Tokyo", "JP", 35.6762, 139.6503, "TYO", 2),
    Place("Rome", "IT", 41.9028, 12.4964, "ROM", 2),
    Place("Barcelona", "ES", 41.3874, 2.1686, "BCN", 2),
    Place("Amsterdam", "NL", 52.3676, 4.9041, "AMS", 1),
    Place("Berlin", "DE", 52.5200, 13.4050, "BER", 2),
    Place("Madrid", "ES", 40.4168, -3.7038, "MAD", 2),
    Place("Lisbon", "PT", 38.7223, -9.1393, "LIS", 2),
    Place("Prague", "CZ", 50.0755, 14.4378, "PRG", 3),
    Place("Vienna", "AT", 48.2082, 16.3738, "VIE", 2),
    Place("Budapest", "HU", 47.4979, 19.0402, "BUD", 3),
    Place("Copenhagen", "DK", 55.6761, 12.5683, "CPH", 1),
    Place("Athens", "GR", 37.9838, 23.7275, "ATH", 3),
    Place("Dublin", "IE", 53.3498, -6.2603, "DUB", 1),
    Place("Edinburgh", "GB", 55.9533, -3.1883, "EDI", 2),
    Place("Reykjavik", "IS", 64.1466, -21.9426, "REK", 1),
    Place("Venice", "IT", 45.4408, 12.3155, "VCE", 1),
    Place("Florence", "IT", 43.7696, 11.2558, "FLR", 2),
    Place("Istanbul", "TR", 41.0082, 28.9784, "IST", 3),
    Place("Dubai", "AE", 25.2048, 55.2708, "DXB", 2),
    Place("Singapore", "SG", 1.3521, 103.8198, "SIN", 1),
    Place("Bangkok", "TH", 13.7563, 100.5018, "BKK", 4),
    Place("Hong Kong", "HK", 22.3193, 114.1694, "HKG", 2),
    Place("Seoul", "KR", 37.5665, 126.9780, "SEL", 3),
    Place("Sydney", "AU", -33.8688, 151.2093, "SYD", 2),
    Place("Los Angeles", "US", 34.0522, -118.2437, "LAX", 2),
    Place("San Francisco", "US", 37.7749, -122.4194, "SFO", 1),
    Place("Chicago", "US", 41.8781, -87.6298, "CHI", 2),
    Place("Miami", "US", 25.7617, -80.1918, "MIA", 2),
    Place("Toronto", "CA", 43.6532, -79.3832, "YTO", 2),
    Place("Mexico City", "MX", 19.4326, -99.1332, "MEX", 4),
    Place("Rio de Janeiro", "BR", -22.9068, -43.1729, "RIO", 3),
    Place("Buenos Aires", "AR", -34.6037, -58.3816, "BUE", 4),
    Place("Cape Town", "ZA", -33.9249, 18.4241, "CPT", 3),
    Place("Cairo", "EG", 30.0444, 31.2357, "CAI", 4),
    Place("Marrakech", "MA", 31.6295, -7.9811, "RAK", 4),
)

_ALIASES: dict[str, str] = {
    "nyc": "New York",
    "new york city": "New York",
    "manhattan": "New York",
    "roma": "Rome",
    "lisboa": "Lisbon",
    "praha": "Prague",
    "wien": "Vienna",
    "kobenhavn": "Copenhagen",
    "athina": "Athens",
    "venezia": "Venice",
    "firenze": "Florence",
    "ciudad de mexico": "Mexico City",
    "cdmx": "Mexico City",
    "rio": "Rio de Janeiro",
    "marrakesh": "Marrakech",
    "constantinople": "Istanbul",
}


def normalise(text: str) -> str:
    """Case-folded, accent-free, single-spaced; only the part before a comma ('Lisbon, Portugal')."""
    head = text.split(",", 1)[0]
    ascii_text = unicodedata.normalize("NFKD", head).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.casefold().split())


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, Place]:
    index = {normalise(place.name): place for place in CITIES}
    index.update({alias: index[normalise(name)] for alias, name in _ALIASES.items()})
    index.update({place.iata.casefold(): place for place in CITIES if place.iata})
    return index


def city(text: str) -> Place | None:
    """A gazetteer city by name, alias or IATA city code."""
    return _gazetteer().get(normalise(text))


def mentioned_city(text: str) -> Place | None:
    """The first gazetteer city named (as whole words) anywhere in free text."""
    words = f" {' '.join(re.findall(r'[a-z0-9]+', normalise(text.replace(',', ' '))))} "
    for name, place in _gazetteer().items():
        if len(name) > 3 and f" {name} " in words:
            return place
    return None


def locate(text: str) -> Place | None:
    """A place for a city name or an IATA airport/city code: gazetteer first, then ``airportsdata``."""
    known = city(text)
    if known is not None:
        return known
    stripped = text.strip()
    airports = _airports()
    if IATA_CODE.match(stripped) and stripped.upper() in airports:
        return _airport_place(stripped.upper())
    candidates = _airports_by_city().get(normalise(text), [])
    return _airport_place(candidates[0]) if candidates else None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@lru_cache(maxsize=1)
def _airports() -> dict[str, Airport]:
    import airportsdata

    return airportsdata.load("IATA")


@lru_cache(maxsize=1)
def _airports_by_city() -> dict[str, list[str]]:
    """City name -> airport codes, the likeliest first (international airports, then named after it)."""
    index: dict[str, list[str]] = {}
    for code, airport in _airports().items():
        index.setdefault(normalise(airport["city"]), []).append(code)

    def rank(code: str) -> tuple[bool, bool, str]:
        airport = _airports()[code]
        return "International" not in airport["name"], not airport["name"].startswith(airport["city"]), code

    return {name: sorted(codes, key=rank) for name, codes in index.items()}


def _airport_place(code: str) -> Place:
    airport = _airports()[code]
    return Place(
        name=airport["city"] or airport["name"],
        country=airport["country"],
        latitude=airport["lat"],
        longitude=airport["lon"],
        iata=code,
    )
