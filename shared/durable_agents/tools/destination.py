"""One record per curated destination: what the offline tools know of it, keyed by its code.

A destination's key is its airport's IATA code and its name, as the curated table spells them
(:mod:`durable_agents.llm.destinations`): "KIX Kyoto", "KIX Osaka", "CDG Paris". The code tells
Paris, France (CDG) from Paris, Texas (PRX, not curated: no record); the name tells apart the towns
that share an airport (Kyoto and Osaka, Calgary and Banff). A record holds:

- ``climate``: twelve :class:`MonthNormal` (January first) from :mod:`.climate_normals`;
- ``sights``: ``(name, category, description)``, the described ones of :mod:`.landmarks` first, then
  :mod:`.sights` (no description).

Records are built on first use from those tables; :func:`destination_of` finds a located place's.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from .landmarks import LANDMARKS, Landmark
from .places import Place


@dataclass(frozen=True)
class MonthNormal:
    """A month's climate normal: mean daily high and low (°C) and the month's precipitation (mm)."""

    high_c: float
    low_c: float
    precipitation_mm: float


@dataclass(frozen=True)
class Destination:
    """What is known of one curated destination (see the module documentation)."""

    airport: str
    name: str
    climate: tuple[MonthNormal, ...]
    sights: tuple[Landmark, ...]

    @property
    def key(self) -> str:
        return key(self.airport, self.name)

    def normals(self, start: dt.date, end: dt.date) -> MonthNormal:
        """The normals over ``start``..``end`` (inclusive): each month weighted by its days in the span.

        Precipitation is returned per day (mm/day), the unit the weather tool reports.
        """
        weights: dict[int, int] = {}
        day = start
        while day <= end:
            weights[day.month] = weights.get(day.month, 0) + 1
            day += dt.timedelta(days=1)
        total = sum(weights.values()) or 1
        high = sum(self.climate[m - 1].high_c * n for m, n in weights.items()) / total
        low = sum(self.climate[m - 1].low_c * n for m, n in weights.items()) / total
        rain = sum(self._daily_rain(m) * n for m, n in weights.items())
        return MonthNormal(high_c=high, low_c=low, precipitation_mm=rain / total)

    def _daily_rain(self, month: int) -> float:
        return self.climate[month - 1].precipitation_mm / calendar.monthrange(2001, month)[1]


def key(airport: str, name: str) -> str:
    """A destination's key: ``"KIX Kyoto"``."""
    return f"{airport} {name}"


def _numbers(field: str) -> tuple[float, ...]:
    return tuple(float(value) for value in field.split())


@lru_cache(maxsize=1)
def destinations() -> dict[str, Destination]:
    """Every curated destination's record, by key (built once, on first use).

    Raises:
        ValueError: when a table line is malformed or a climate line has no destination.
    """
    from .climate_normals import CLIMATE
    from .sights import SIGHTS

    climates: dict[str, tuple[MonthNormal, ...]] = {}
    for line in CLIMATE.strip().splitlines():
        name, highs, lows, rain = line.split("|")
        columns = _numbers(highs), _numbers(lows), _numbers(rain)
        if any(len(column) != 12 for column in columns):
            raise ValueError(f"climate of {name!r}: twelve months expected")
        climates[name] = tuple(MonthNormal(h, lo, r) for h, lo, r in zip(*columns, strict=True))
    listed: dict[str, tuple[Landmark, ...]] = dict(LANDMARKS)
    for line in SIGHTS.strip().splitlines():
        name, entries = line.split("|")
        found = (entry.strip().rpartition("/") for entry in entries.split(";"))
        listed[name] = tuple((title, category, "") for title, _, category in found)
    records: dict[str, Destination] = {}
    for name, climate in climates.items():
        airport, _, town = name.partition(" ")
        records[name] = Destination(airport, town, climate, listed.get(name, ()))
    unknown = set(listed) - set(records)
    if unknown:
        raise ValueError(f"sights for destinations without a record: {sorted(unknown)}")
    return records


def destination_of(place: Place) -> Destination | None:
    """The record of a located place: only a curated destination's (Paris, Texas has none)."""
    if not place.curated or place.airport is None:
        return None
    return destinations().get(key(place.airport, place.name))
