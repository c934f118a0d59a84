"""The weather tool: Open-Meteo forecasts (live) and climate-by-latitude estimates (offline).

Live: the place is geocoded with Open-Meteo's geocoding API (unless coordinates are given); dates within
the 16-day forecast horizon get the daily forecast; dates beyond it (or a whole month, or past dates)
get a climate estimate: the same calendar days over the last three complete years of Open-Meteo's
historical archive, summarised, and labelled "forecast not available yet, climate estimate".

Offline: a curated destination's monthly climate normals (each month weighted by its days in the
stay); any other place, an estimate from latitude, height and season.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from statistics import fmean
from typing import Literal, Self

from pydantic import BaseModel, model_validator

from ..http import HttpTransport
from . import places
from .dates import month_end, month_start, shift_years, utc_today
from .destination import destination_of
from .errors import ToolError, UpstreamError
from .models import Reply, Source, Tool, WeatherDay, WeatherParams, WeatherReport, WeatherSummary
from .offline import offline_source, seeded
from .upstream import parse, request_json, url_with_query

NAME = "weather"
DESCRIPTION = (
    "Weather for a place: a daily forecast for the next 16 days, a climate estimate for later dates "
    "or a whole month."
)
GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search"
FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
FORECAST_HORIZON_DAYS = 16
CLIMATE_YEARS = 3
ARCHIVE_DELAY_DAYS = 7
"""The archive (ERA5) lags real time by about five days; stay clear of the gap."""
WET_DAY_MM = 1.0

_FORECAST_FIELDS = (
    "weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max"
)
_ARCHIVE_FIELDS = "temperature_2m_max,temperature_2m_min,precipitation_sum"
_WMO_CONDITIONS: tuple[tuple[int, str], ...] = (
    (0, "clear sky"),
    (1, "mainly clear"),
    (2, "partly cloudy"),
    (3, "overcast"),
    (48, "fog"),
    (57, "drizzle"),
    (67, "rain"),
    (77, "snow"),
    (82, "rain showers"),
    (86, "snow showers"),
    (99, "thunderstorm"),
)
"""(highest WMO weather code, condition) in ascending order."""


def tool(provider: Callable[[WeatherParams], Reply]) -> Tool:
    return Tool(NAME, DESCRIPTION, WeatherParams, WeatherReport, provider)


def condition(code: int | None) -> str | None:
    """A short description of a WMO weather interpretation code."""
    if code is None:
        return None
    return next((text for limit, text in _WMO_CONDITIONS if code <= limit), None)


_FEELS = ((5.0, "cold"), (12.0, "cool"), (22.0, "mild"), (27.0, "warm"), (math.inf, "hot"))
"""(highest mean daily high, word): a spring day of 20-21 °C (Kyoto or Rome in April) is mild."""
_WETNESS = ((1.0, "mostly dry"), (3.0, "some rain"), (6.0, "often rainy"), (math.inf, "very wet"))


def describe(high: float, low: float, precipitation_mm_per_day: float) -> str:
    """'mild (highs around 18°C, lows around 9°C), some rain'."""
    feel = next(word for limit, word in _FEELS if high < limit)
    wetness = next(word for limit, word in _WETNESS if precipitation_mm_per_day < limit)
    return f"{feel} (highs around {high:.0f}°C, lows around {low:.0f}°C), {wetness}"


def summarise(days: Sequence[WeatherDay]) -> WeatherSummary:
    """Means over the days that have values; raises :class:`UpstreamError` when none have."""
    highs = [day.temp_max_c for day in days if day.temp_max_c is not None]
    lows = [day.temp_min_c for day in days if day.temp_min_c is not None]
    rain = [day.precipitation_mm for day in days if day.precipitation_mm is not None]
    if not highs or not lows or not rain:
        raise UpstreamError("open-meteo has no weather data for these dates")
    high, low, per_day = round(fmean(highs), 1), round(fmean(lows), 1), round(fmean(rain), 1)
    wet = round(100 * sum(amount >= WET_DAY_MM for amount in rain) / len(rain), 1)
    return WeatherSummary(
        temp_high_c=high,
        temp_low_c=low,
        precipitation_mm_per_day=per_day,
        wet_days_pct=wet,
        description=describe(high, low, per_day),
    )


def period(params: WeatherParams, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days asked about: a whole month, ``days`` from a date, or ``days`` from today."""
    if params.month is not None:
        start = month_start(params.month, today)
        return start, month_end(start)
    start = params.date or today
    return start, start + dt.timedelta(days=params.days - 1)


# --- live ---------------------------------------------------------------------------------------------


class _GeocodingHit(BaseModel):
    name: str
    latitude: float
    longitude: float
    country: str | None = None
    country_code: str | None = None


class _Geocoding(BaseModel):
    results: list[_GeocodingHit] = []  # absent when nothing matched


class _Daily(BaseModel):
    time: list[dt.date]
    temperature_2m_max: list[float | None]
    temperature_2m_min: list[float | None]
    precipitation_sum: list[float | None]
    precipitation_probability_max: list[float | None] | None = None
    weather_code: list[int | None] | None = None

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        series = (
            self.temperature_2m_max,
            self.temperature_2m_min,
            self.precipitation_sum,
            self.precipitation_probability_max,
            self.weather_code,
        )
        if any(values is not None and len(values) != len(self.time) for values in series):
            raise ValueError("daily series differ in length")
        return self

    def days(self) -> list[WeatherDay]:
        count = len(self.time)
        chance = self.precipitation_probability_max or [None] * count
        codes = self.weather_code or [None] * count
        return [
            WeatherDay(
                date=self.time[i],
                temp_max_c=self.temperature_2m_max[i],
                temp_min_c=self.temperature_2m_min[i],
                precipitation_mm=self.precipitation_sum[i],
                precipitation_probability_pct=chance[i],
                condition=condition(codes[i]),
            )
            for i in range(count)
        ]


class _DailyResponse(BaseModel):
    daily: _Daily


class OpenMeteoWeather:
    """Live weather from Open-Meteo (no API key needed)."""

    service = "open-meteo"

    def __init__(
        self, transport: HttpTransport, *, timeout: float, today: Callable[[], dt.date] = utc_today
    ) -> None:
        self._transport = transport
        self._timeout = timeout
        self._today = today

    def __call__(self, params: WeatherParams) -> Reply:
        today = self._today()
        name, country, latitude, longitude = self._locate(params)
        start, end = period(params, today)
        horizon = today + dt.timedelta(days=FORECAST_HORIZON_DAYS - 1)
        notes: list[str] = []
        kind: Literal["forecast", "climate"]
        if params.month is None and today <= start <= horizon:
            if end > horizon:
                notes.append(f"the forecast reaches only {horizon.isoformat()}; later days are not covered")
                end = horizon
            days = self._forecast(latitude, longitude, start, end)
            kind, note, summary = "forecast", "live forecast", summarise(days)
        else:
            first, last, summary = self._climate(latitude, longitude, start, end, today)
            reason = "past dates" if end < today else "forecast not available yet"
            kind, note, days = "climate", f"{reason}, climate estimate from {first}-{last} observations", []
        report = WeatherReport(
            place=name,
            country=country,
            latitude=latitude,
            longitude=longitude,
            kind=kind,
            start=start,
            end=end,
            summary=summary,
            days=days,
            notes=notes,
        )
        return Reply(
            data=report,
            source=Source(name=self.service, url="https://open-meteo.com/", offline=False, note=note),
        )

    def _get(self, base: str, query: list[tuple[str, str]]) -> object:
        return request_json(
            self._transport, self.service, "GET", url_with_query(base, query), timeout=self._timeout
        )

    def _locate(self, params: WeatherParams) -> tuple[str, str | None, float, float]:
        if params.latitude is not None and params.longitude is not None:
            return params.place, None, params.latitude, params.longitude
        name, _, hint = (part.strip() for part in params.place.partition(","))
        query = [("name", name), ("count", "10"), ("language", "en"), ("format", "json")]
        hits = parse(_Geocoding, self._get(GEOCODING_URL, query), self.service).results
        if not hits:
            raise ToolError(f"open-meteo found no place named {name!r}")
        wanted = hint.casefold()
        in_country = [
            h for h in hits if wanted in {(h.country or "").casefold(), (h.country_code or "").casefold()}
        ]
        hit = in_country[0] if wanted and in_country else hits[0]
        return hit.name, hit.country, hit.latitude, hit.longitude

    def _forecast(self, latitude: float, longitude: float, start: dt.date, end: dt.date) -> list[WeatherDay]:
        query = [
            *_coordinates(latitude, longitude),
            ("daily", _FORECAST_FIELDS),
            ("timezone", "auto"),
            ("start_date", start.isoformat()),
            ("end_date", end.isoformat()),
        ]
        return parse(_DailyResponse, self._get(FORECAST_URL, query), self.service).daily.days()

    def _climate(
        self, latitude: float, longitude: float, start: dt.date, end: dt.date, today: dt.date
    ) -> tuple[int, int, WeatherSummary]:
        """The same calendar days over the last :data:`CLIMATE_YEARS` years the archive has, summarised."""
        newest = today - dt.timedelta(days=ARCHIVE_DELAY_DAYS)
        last = start.year - 1
        while shift_years(end, last - start.year) > newest:
            last -= 1
        first = last - CLIMATE_YEARS + 1
        query = [
            *_coordinates(latitude, longitude),
            ("start_date", shift_years(start, first - start.year).isoformat()),
            ("end_date", shift_years(end, last - start.year).isoformat()),
            ("daily", _ARCHIVE_FIELDS),
            ("timezone", "auto"),
        ]
        days = parse(_DailyResponse, self._get(ARCHIVE_URL, query), self.service).daily.days()
        windows = [
            (shift_years(start, y - start.year), shift_years(end, y - start.year))
            for y in range(first, last + 1)
        ]
        matching = [day for day in days if any(low <= day.date <= high for low, high in windows)]
        return first, last, summarise(matching)


def _coordinates(latitude: float, longitude: float) -> list[tuple[str, str]]:
    return [("latitude", f"{latitude:.4f}"), ("longitude", f"{longitude:.4f}")]


# --- offline ------------------------------------------------------------------------------------------

_GENERIC_LATITUDE = 45.0
LAPSE_C_PER_M = 0.0065
"""Air cools by about 6.5 °C per km of height (the offline model uses the airport's elevation)."""


class OfflineWeather:
    """Climate for the dates: a curated destination's monthly normals (:mod:`.destination`), elsewhere
    an estimate from latitude, height and time of year; deterministic, no network."""

    def __init__(self, *, today: Callable[[], dt.date] = utc_today) -> None:
        self._today = today

    def __call__(self, params: WeatherParams) -> Reply:
        start, end = period(params, self._today())
        notes: list[str] = []
        name, country = params.place, None
        place = places.locate(params.place)
        if params.latitude is not None and params.longitude is not None:
            latitude, longitude = params.latitude, params.longitude
            near = (
                place is not None
                and places.distance_km(latitude, longitude, place.latitude, place.longitude) < 100
            )
            place = place if near else None
        elif place is not None:
            name, country, latitude, longitude = place.name, place.country, place.latitude, place.longitude
        else:
            latitude, longitude = _GENERIC_LATITUDE, 0.0
            notes.append(f"location of {params.place!r} unknown: generic mid-latitude climate")
        record = destination_of(place) if place is not None else None
        if record is not None:
            normal = record.normals(start, end)
            high, low, rain = round(normal.high_c, 1), round(normal.low_c, 1), normal.precipitation_mm
            notes.append(f"typical for these dates: {record.name}'s monthly climate normals")
        else:
            high, low, rain = _estimate(name, latitude, place, start, end)
        summary = WeatherSummary(
            temp_high_c=high,
            temp_low_c=low,
            precipitation_mm_per_day=round(rain, 1),
            wet_days_pct=round(min(85.0, 20 * rain**0.7), 1),
            description=describe(high, low, rain),
        )
        report = WeatherReport(
            place=name,
            country=country,
            latitude=latitude,
            longitude=longitude,
            kind="climate",
            start=start,
            end=end,
            summary=summary,
            notes=notes,
        )
        return Reply(data=report, source=offline_source())


def _estimate(
    name: str, latitude: float, place: places.Place | None, start: dt.date, end: dt.date
) -> tuple[float, float, float]:
    """(high, low, mm/day) from latitude, height and season, for places without climate normals."""
    rng = seeded("weather", places.normalise(name))
    offset, wetness = rng.uniform(-1.5, 1.5), rng.uniform(0.6, 1.4)
    offset -= LAPSE_C_PER_M * (place.elevation_m if place is not None else 0)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    means = [_mean_temperature(latitude, day) + offset for day in days]
    spread = _daily_spread(latitude)
    rain = fmean(_precipitation(latitude, day) for day in days) * wetness
    return round(fmean(means) + spread, 1), round(fmean(means) - spread, 1), rain


def _dry_belt(latitude: float) -> bool:
    return 15 <= abs(latitude) <= 35


def _mean_temperature(latitude: float, day: dt.date) -> float:
    """Annual mean falling with latitude, plus a seasonal swing peaking mid-July (mid-January south)."""
    lat = abs(latitude)
    annual = 27 - 0.4 * max(0.0, lat - 12) + (2 if _dry_belt(latitude) else 0)
    swing = min(10.0, 0.2 * max(0.0, lat - 8)) + (3 if _dry_belt(latitude) else 0)
    season = math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25)
    return annual + swing * (season if latitude >= 0 else -season)


def _daily_spread(latitude: float) -> float:
    """Half the typical day-night range."""
    return 6.5 if _dry_belt(latitude) else 4.0 if abs(latitude) < 15 else 4.5


def _precipitation(latitude: float, day: dt.date) -> float:
    """Typical mm/day: wet tropics, dry subtropics, wet-winter mid-latitudes, steady higher up."""
    lat = abs(latitude)
    summer = math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25) * (1 if latitude >= 0 else -1)
    if lat < 10:
        return 6.0
    if lat < 20:
        return 4.0 * (1 + 0.6 * summer)
    if lat < 32:
        return 0.8
    if lat < 45:
        return 2.0 * (1 - 0.45 * summer)
    return 2.2
