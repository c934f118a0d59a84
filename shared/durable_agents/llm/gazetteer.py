"""The one place index: curated destinations, regions and countries, then every city with an airport.

The airports come from ``airports.tsv`` beside this module (built from ``airportsdata`` by
``scripts/build_airports.py``; one airport a line: IATA, city, subdivision, country, lat, lon, score,
elevation in metres).
Reading it takes a few milliseconds, once per process, on first use; nothing is read at import time.
The travel tools resolve places through this index too (:mod:`durable_agents.tools.places`).

A name resolves, in order, to a curated destination (:mod:`.destinations`), a region
(:mod:`.regions`), a country (:mod:`.countries`), or the database's city of that name (its best-scored
airport: international airports first, then those with a real ICAO code). A qualifier ("Birmingham,
Alabama", "London Ontario", "Paris TX", "Birmingham UK") picks, among every place of that name, the
one in that state, province, region or country (:meth:`Gazetteer.qualified`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

from .countries import COUNTRIES
from .destinations import DESTINATIONS
from .models import Place
from .regions import REGIONS

EntryKind = Literal["destination", "region", "country", "city"]
AIRPORTS_FILE = Path(__file__).with_name("airports.tsv")

_DROPPED = re.compile(r"[.'’]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_CITY_PARTS = re.compile(r"\s*[/,]\s*|\s+-\s+")
_ABBREVIATIONS = {
    "al": "alabama", "ak": "alaska", "az": "arizona", "ar": "arkansas", "ca": "california",
    "co": "colorado", "ct": "connecticut", "de": "delaware", "fl": "florida", "ga": "georgia",
    "hi": "hawaii", "id": "idaho", "il": "illinois", "in": "indiana", "ia": "iowa", "ks": "kansas",
    "ky": "kentucky", "la": "louisiana", "me": "maine", "md": "maryland", "ma": "massachusetts",
    "mi": "michigan", "mn": "minnesota", "ms": "mississippi", "mo": "missouri", "mt": "montana",
    "ne": "nebraska", "nv": "nevada", "nh": "new hampshire", "nj": "new jersey", "nm": "new mexico",
    "ny": "new york", "nc": "north carolina", "nd": "north dakota", "oh": "ohio", "ok": "oklahoma",
    "or": "oregon", "pa": "pennsylvania", "ri": "rhode island", "sc": "south carolina",
    "sd": "south dakota", "tn": "tennessee", "tx": "texas", "ut": "utah", "vt": "vermont",
    "va": "virginia", "wa": "washington", "wv": "west virginia", "wi": "wisconsin", "wy": "wyoming",
    "on": "ontario", "qc": "quebec", "bc": "british columbia", "ab": "alberta", "ns": "nova scotia",
    "nb": "new brunswick", "mb": "manitoba", "sk": "saskatchewan", "nl": "newfoundland and labrador",
    "nsw": "new south wales", "vic": "victoria", "qld": "queensland",
}  # fmt: skip
"""US state, Canadian province and Australian state abbreviations, as qualifiers."""
_STATES = frozenset(_ABBREVIATIONS.values())
_COUNTRY_WORDS = {"uk": "GB", "england": "GB", "britain": "GB", "usa": "US", "us": "US", "america": "US"}


def normalize(name: str) -> str:
    """Lower-case ASCII words: ``"São Paulo" -> "sao paulo"``, ``"St. Louis" -> "st louis"``."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(char for char in decomposed if not unicodedata.combining(char))
    cleaned = _DROPPED.sub("", name.lower().replace("&", " and "))
    return _SEPARATORS.sub(" ", cleaned).strip()


@cache
def _region_key(region: str) -> str:
    """:func:`normalize` of a state, province or region of the data (few: kept once computed)."""
    return normalize(region)


class Airport(NamedTuple):
    """One row of ``airports.tsv``."""

    iata: str
    city: str
    region: str
    country: str
    lat: float
    lon: float
    score: int
    elevation_m: int


@dataclass(frozen=True)
class Entry:
    """One way to name a place."""

    place: Place
    kind: EntryKind
    guarded: bool = False
    """Also an ordinary word: counts only when capitalised and after a travel cue."""
    exact: str | None = None
    """The only spelling (case included) that counts, for aliases like "LA" or "US"."""


def read_airports(path: Path = AIRPORTS_FILE) -> dict[str, Airport]:
    """The airport table, by IATA code."""
    airports: dict[str, Airport] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            iata, city, region, country, lat, lon, score, elevation = line.split("\t")
            airports[iata] = Airport(
                iata, city, region, country, float(lat), float(lon), int(score), int(elevation)
            )
    return airports


def _city_names(city: str) -> list[str]:
    names = []
    for part in _CITY_PARTS.split(city):
        key = normalize(part)
        if key:
            names.append(key)
            if key.endswith(" island"):
                names.append(key.removesuffix(" island"))
            if key.startswith("st "):
                names.append("saint " + key.removeprefix("st "))
    return names


class Gazetteer:
    """The place index. Use :func:`gazetteer` for the process-wide instance."""

    def __init__(self, airports: dict[str, Airport]) -> None:
        self._airports = airports
        self._entries: dict[str, list[Entry]] = {}
        self._airport_names: dict[str, str] = {}
        self._stops: dict[str, list[Place]] = {}
        self._by_country: dict[str, list[Place]] = {}
        self._add_destinations()
        self._add_regions()
        self._add_countries()
        self._cities: dict[str, list[str]] = {}
        self._region_gateways: dict[str, str] = {}
        for iata, airport in airports.items():
            for key in _city_names(airport.city):
                self._cities.setdefault(key, []).append(iata)
        for codes in self._cities.values():
            codes.sort(key=lambda code: (airports[code].score, code), reverse=True)
        self.max_words = max(len(key.split()) for key in [*self._entries, *self._cities])

    # --- building ---------------------------------------------------------------------------------------

    def _add(self, key: str, entry: Entry) -> None:
        self._entries.setdefault(normalize(key), []).append(entry)

    def _aliases(self, place: Place, kind: EntryKind, names: list[str], *, guarded: bool = False) -> None:
        for alias in names:
            exact = alias[1:] if alias.startswith("=") else None
            self._add(exact or alias, Entry(place=place, kind=kind, guarded=guarded, exact=exact))

    def _add_destinations(self) -> None:
        for line in DESTINATIONS.strip().splitlines():
            name, iata, aliases, flags = line.split("|")
            self._airport_names.setdefault(iata, name)
            place = self._place(iata, name=name, city=name)
            self._by_country.setdefault(place.country or "", []).append(place)
            self._aliases(
                place, "destination", [name, *filter(None, aliases.split(","))], guarded=bool(flags)
            )

    def _add_regions(self) -> None:
        for line in REGIONS.strip().splitlines():
            name, country, iata, stops, aliases = line.split("|")
            place = self._place(iata, name=name, city=None).model_copy(update={"kind": "region"})
            self._stops[name] = [self._stop(stop, country) for stop in stops.split(";")]
            self._aliases(place, "region", [name, *filter(None, aliases.split(","))])

    def _add_countries(self) -> None:
        for line in COUNTRIES.strip().splitlines():
            _, name, iata, aliases, flags = line.split("|")
            place = self._place(iata, name=name, city=None).model_copy(update={"kind": "country"})
            self._aliases(place, "country", [name, *filter(None, aliases.split(","))], guarded=bool(flags))

    def _stop(self, text: str, country: str) -> Place:
        name, _, where = text.partition("@")
        if where:
            lat, lon = (float(part) for part in where.split(","))
            return Place(name=name, city=name, country=country, lat=lat, lon=lon)
        found = next(
            (e.place for e in self._entries.get(normalize(name), []) if e.kind == "destination"), None
        )
        if found is None:
            raise ValueError(f"region stop {name!r} is not a curated destination")
        return found

    def _place(self, iata: str, *, name: str, city: str | None) -> Place:
        airport = self._airports[iata]
        return Place(
            name=name,
            iata=iata,
            city=city,
            country=airport.country,
            region=(airport.region or None) if city is not None and airport.country in ("US", "CA") else None,
            lat=airport.lat,
            lon=airport.lon,
        )

    def _city_place(self, iata: str) -> Place:
        airport = self._airports[iata]
        return self._place(iata, name=airport.city, city=airport.city).model_copy(
            update={"region": airport.region or None}
        )

    # --- lookups ----------------------------------------------------------------------------------------

    def entries(self, key: str) -> list[Entry]:
        """The entries for a normalized name: curated ones, else the database's best city of that name."""
        if key in self._entries:
            return self._entries[key]
        codes = self._cities.get(key)
        if not codes:
            return []
        return [Entry(place=self._city_place(codes[0]), kind="city")]

    def is_city_name(self, key: str) -> bool:
        """Whether some airport's city has this normalized name (curated names included)."""
        return key in self._cities or key in self._entries

    def qualified(self, key: str, qualifier: str) -> Place | None:
        """The place named ``key`` in the state, province, region or country ``qualifier`` names.

        ``None`` when ``qualifier`` names none of the places of that name (it is then not a qualifier).
        """
        wanted = normalize(qualifier)
        raw = qualifier.strip()
        # "Berlin, DE" (how plans name their stops) is Germany's code, not Delaware's abbreviation:
        # a two-letter qualifier is tried as a country code as well as a state's
        iso = raw.upper() if len(raw) == 2 and raw.isalpha() else None
        wanted = _ABBREVIATIONS.get(wanted, wanted)
        countries = {code for code in (_COUNTRY_WORDS.get(wanted) or self._country_code(wanted), iso) if code}
        for entry in self._entries.get(key, []):
            place = entry.place
            if entry.kind == "destination" and (
                _region_key(place.region or "") == wanted or place.country in countries
            ):
                return place
        for code in self._cities.get(key, []):
            airport = self._airports[code]
            if _region_key(airport.region) == wanted or airport.country in countries:
                return self._city_place(code)
        gateway = self._gateways().get(wanted) if wanted in _STATES else None
        if gateway is not None:  # "Cambridge, Massachusetts": a town without an airport, flown to via Boston
            airport = self._airports[gateway]
            name = " ".join(word.capitalize() for word in key.split())
            return self._place(gateway, name=name, city=name).model_copy(update={"region": airport.region})
        return None

    def _gateways(self) -> dict[str, str]:
        """Each state's or province's best-scored airport, by normalized name (built on first use)."""
        if not self._region_gateways:
            for code, airport in self._airports.items():
                key = normalize(airport.region)
                best = self._region_gateways.get(key)
                if best is None or (airport.score, code) > (self._airports[best].score, best):
                    self._region_gateways[key] = code
        return self._region_gateways

    def is_major(self, iata: str) -> bool:
        """An international airport (a lower-case code is taken as one only then: "from jfk")."""
        airport = self._airports.get(iata.upper())
        return airport is not None and airport.score >= 6

    def _country_code(self, key: str) -> str | None:
        entry = next((e for e in self._entries.get(key, []) if e.kind == "country"), None)
        return entry.place.country if entry is not None else None

    def airport(self, iata: str) -> Place | None:
        """The place an airport code stands for, named after its destination ("ORY" -> Paris)."""
        code = iata.upper()
        airport = self._airports.get(code)
        if airport is None:
            return None
        name = self._airport_names.get(code)
        if name is None:
            return self._city_place(code)
        return self._place(code, name=name, city=name)

    def elevation(self, iata: str | None) -> int:
        """The airport's elevation in metres (0 when unknown): the offline climate model cools with height."""
        airport = self._airports.get(iata or "")
        return airport.elevation_m if airport is not None else 0

    def lookup(self, name: str) -> Place | None:
        """Resolve a free-text place name or IATA code (case-insensitive, accents ignored).

        "Name, Qualifier" ("Portland, Maine", "Paris, TX") is resolved with :meth:`qualified`.
        """
        text = name.strip()
        head, comma, tail = text.partition(",")
        if comma and tail.strip():
            found = self.qualified(normalize(head), tail)
            if found is not None:
                return found
            text = head.strip()
        key = normalize(text)
        for entry in self.entries(key) or self.entries(key.removeprefix("the ")):
            if entry.exact is None or entry.exact == text:
                return entry.place
        if re.fullmatch(r"[A-Za-z]{3}", text):
            return self.airport(text)
        return None

    def stops_for(self, place: Place) -> list[Place]:
        """The towns a trip to a country or region stays in, most visited first (a city: itself)."""
        if place.kind == "region":
            return list(self._stops.get(place.name, [place]))
        if place.kind == "country":
            return list(self._by_country.get(place.country or "", [])[:4]) or [place]
        return [place]

    def destinations(self) -> list[Place]:
        """Every curated destination city (the candidates for open suggestions)."""
        return [place for places in self._by_country.values() for place in places]

    def is_curated(self, name: str, country: str | None) -> bool:
        """Whether ``name`` in ``country`` is a curated destination (the places the offline data describe:
        sights, food, getting around, a price level of their own). Paris, Texas is not Paris."""
        return any(place.name == name for place in self._by_country.get(country or "", []))

    def curated_names(self) -> list[str]:
        """Every normalized curated name (for spelling correction)."""
        return list(self._entries)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first call (reads ``airports.tsv``)."""
    return Gazetteer(read_airports())
