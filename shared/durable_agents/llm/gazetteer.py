"""Places by name: curated destinations and countries, then every city with an airport.

Built once per process on first use from the maintained ``airportsdata`` package (about 7,900 airports
with IATA codes). A name resolves, in order, to a curated destination (:mod:`.destinations`), a country
(:mod:`.countries`), or the database's city of that name, choosing the most likely commercial airport:
international airports first, then those with a real ICAO code, never heliports, seaplane bases, air
bases or stations. Nothing is loaded at import time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from .countries import COUNTRIES
from .destinations import DESTINATIONS
from .models import Place

EntryKind = Literal["destination", "country", "city"]

_NOT_A_COMMERCIAL_AIRPORT = re.compile(
    r"heliport|seaplane|air ?base|\bafb\b|\bnas\b|\bmcas\b|air force|army|naval|military|station|railway|"
    r"\brail\b|\bbus\b|ferry|harbou?r|ranch|airstrip|\bstrip\b|private",
    re.IGNORECASE,
)


_DROPPED = re.compile(r"[.'’]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_INTERNATIONAL = re.compile(r"international|intl|intcntl", re.IGNORECASE)
_ICAO = re.compile(r"[A-Z]{4}")
_CITY_PARTS = re.compile(r"\s*[/,]\s*|\s+-\s+")


def normalize(name: str) -> str:
    """Lower-case ASCII words: ``"São Paulo" -> "sao paulo"``, ``"St. Louis" -> "st louis"``."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(char for char in decomposed if not unicodedata.combining(char))
    cleaned = _DROPPED.sub("", name.lower().replace("&", " and "))
    return _SEPARATORS.sub(" ", cleaned).strip()


@dataclass(frozen=True)
class Entry:
    """One way to name a place."""

    place: Place
    kind: EntryKind
    guarded: bool = False
    """Also an ordinary word: counts only when capitalised and after a travel cue."""
    exact: str | None = None
    """The only spelling (case included) that counts, for aliases like "LA" or "US"."""


def _airport_score(airport: Mapping[str, Any]) -> int:
    """How likely this is a city's main commercial airport (negative: not a commercial airport)."""
    name = str(airport["name"])
    if _NOT_A_COMMERCIAL_AIRPORT.search(name):
        return -10
    score = 4 if _INTERNATIONAL.search(name) else 0
    if _ICAO.fullmatch(str(airport["icao"])):
        score += 2
    if str(airport["city"]).lower() in name.lower():
        score += 1
    return score


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

    def __init__(self, airports: Mapping[str, Mapping[str, Any]]) -> None:
        self._airports = airports
        self._entries: dict[str, list[Entry]] = {}
        self._airport_names: dict[str, str] = {}
        self._cities: dict[str, tuple[str, str]] = {}
        self._city_entries: dict[str, list[Entry]] = {}
        self._add_table(DESTINATIONS, kind="destination")
        self._add_table(COUNTRIES, kind="country")
        self._add_cities()
        self.max_words = max(len(key.split()) for key in [*self._entries, *self._cities])

    def _add_table(self, table: str, *, kind: EntryKind) -> None:
        for line in table.strip().splitlines():
            fields = line.split("|")
            if kind == "country":
                _, name, iata, aliases, flags = fields
                place = self._place(iata, name=name, city=None)
            else:
                name, iata, aliases, flags = fields
                self._airport_names.setdefault(iata, name)
                place = self._place(iata, name=name, city=name)
            guarded = flags == "guarded"
            for alias in [name, *filter(None, aliases.split(","))]:
                exact = alias[1:] if alias.startswith("=") else None
                entry = Entry(place=place, kind=kind, guarded=guarded, exact=exact)
                self._entries.setdefault(normalize(exact or alias), []).append(entry)

    def _add_cities(self) -> None:
        best: dict[str, tuple[int, str, str]] = {}
        for iata, airport in self._airports.items():
            score = _airport_score(airport)
            if score < 0:
                continue
            city = str(airport["city"])
            for key in _city_names(city):
                if key not in self._entries and (key not in best or (score, iata) > best[key][:2]):
                    best[key] = (score, iata, city)
        for key, (_, iata, city) in best.items():
            self._cities[key] = (iata, city if normalize(city) == key else key.title())

    def _place(self, iata: str, *, name: str, city: str | None) -> Place:
        airport = self._airports[iata]
        return Place(
            name=name,
            iata=iata,
            city=city,
            country=str(airport["country"]),
            lat=float(airport["lat"]),
            lon=float(airport["lon"]),
        )

    def entries(self, key: str) -> list[Entry]:
        """The entries for a normalized name: curated ones, else the database's city."""
        if key in self._entries:
            return self._entries[key]
        if key not in self._cities:
            return []
        if key not in self._city_entries:
            iata, name = self._cities[key]
            self._city_entries[key] = [Entry(place=self._place(iata, name=name, city=name), kind="city")]
        return self._city_entries[key]

    def airport(self, iata: str) -> Place | None:
        """The place an airport code stands for, named after its destination ("ORY" -> Paris)."""
        airport = self._airports.get(iata.upper())
        if airport is None:
            return None
        name = self._airport_names.get(iata.upper()) or str(airport["city"]) or str(airport["name"])
        return self._place(iata.upper(), name=name, city=name)

    def lookup(self, name: str) -> Place | None:
        """Resolve a free-text place name or IATA code (case-insensitive, accents ignored)."""
        for entry in self.entries(normalize(name)):
            if entry.exact is None or entry.exact == name.strip():
                return entry.place
        if re.fullmatch(r"[A-Za-z]{3}", name.strip()):
            return self.airport(name.strip())
        return None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer, built on first call (loads ``airportsdata``)."""
    import airportsdata

    return Gazetteer(airportsdata.load("IATA"))
