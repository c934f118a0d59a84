"""The live weather provider (Open-Meteo) against recorded responses, and the offline climate estimate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from durable_agents.http import HttpResponse, HttpTimeout, RecordedTransport
from durable_agents.tools import ToolRegistry, ToolResult, WeatherParams, weather
from durable_agents.tools.weather import OfflineWeather, OpenMeteoWeather

DATA = Path(__file__).parent / "data" / "tools"
TODAY = dt.date(2027, 3, 1)
GEOCODE = "https://geocoding-api.open-meteo.com/v1/search?name=Lisbon&count=10&language=en&format=json"
FIELDS = (
    "weather_code%2Ctemperature_2m_max%2Ctemperature_2m_min%2Cprecipitation_sum"
    "%2Cprecipitation_probability_max"
)
FORECAST = (
    "https://api.open-meteo.com/v1/forecast?latitude=38.7167&longitude=-9.1333"
    f"&daily={FIELDS}&timezone=auto&start_date=2027-03-03&end_date=2027-03-05"
)
ARCHIVE = (
    "https://archive-api.open-meteo.com/v1/archive?latitude=38.7167&longitude=-9.1333"
    "&start_date=2024-08-10&end_date=2026-08-12"
    "&daily=temperature_2m_max%2Ctemperature_2m_min%2Cprecipitation_sum&timezone=auto"
)


def recorded(name: str, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(
        status, "", (DATA / name).read_bytes(), headers or {"Content-Type": "application/json"}
    )


def run(transport: RecordedTransport, **arguments: Any) -> ToolResult:
    registry = ToolRegistry([weather.tool(OpenMeteoWeather(transport, timeout=3, today=lambda: TODAY))])
    [result] = registry.run_parallel([("weather", arguments)], timeout=5)
    return result


def test_forecast_for_dates_within_the_horizon() -> None:
    transport = RecordedTransport(
        {
            ("GET", GEOCODE): recorded("open_meteo_geocoding_lisbon.json"),
            ("GET", FORECAST): recorded("open_meteo_forecast_lisbon.json"),
        }
    )
    result = run(transport, place="Lisbon", date="2027-03-03", days=3)
    assert result.ok, result.error
    assert result.source is not None and not result.source.offline
    assert (result.source.name, result.source.note) == ("open-meteo", "live forecast")
    data = result.data
    assert isinstance(data, dict)
    assert (data["place"], data["country"], data["kind"]) == ("Lisbon", "Portugal", "forecast")
    assert (data["start"], data["end"]) == ("2027-03-03", "2027-03-05")
    assert [d["condition"] for d in data["days"]] == ["overcast", "rain", "mainly clear"]
    assert data["days"][1] == {
        "date": "2027-03-04",
        "temp_max_c": 15.8,
        "temp_min_c": 10.4,
        "precipitation_mm": 6.3,
        "precipitation_probability_pct": 87.0,
        "condition": "rain",
    }
    summary = data["summary"]
    assert summary["temp_high_c"] == 17.2  # (17.2 + 15.8 + 18.6) / 3
    assert summary["temp_low_c"] == 9.7  # (9.9 + 10.4 + 8.7) / 3
    assert summary["precipitation_mm_per_day"] == 2.2
    assert summary["wet_days_pct"] == 33.3
    assert summary["description"] == "mild (highs around 17°C, lows around 10°C), some rain"
    assert [url for _, url, _ in transport.requests] == [GEOCODE, FORECAST]


def test_dates_beyond_the_horizon_get_a_climate_estimate_from_the_archive() -> None:
    transport = RecordedTransport(
        {
            ("GET", GEOCODE): recorded("open_meteo_geocoding_lisbon.json"),
            ("GET", ARCHIVE): recorded("open_meteo_archive_lisbon.json"),
        }
    )
    result = run(transport, place="Lisbon", date="2027-08-10", days=3)
    assert result.ok, result.error
    assert result.source is not None
    assert result.source.note == "forecast not available yet, climate estimate from 2024-2026 observations"
    data = result.data
    assert isinstance(data, dict) and data["kind"] == "climate" and data["days"] == []
    # Only 10-12 August of 2024, 2025 and 2026 count: highs 27/28/29, lows 18, one 4 mm day in nine.
    assert data["summary"] == {
        "temp_high_c": 28.0,
        "temp_low_c": 18.0,
        "precipitation_mm_per_day": 0.4,
        "wet_days_pct": 11.1,
        "description": "hot (highs around 28°C, lows around 18°C), mostly dry",
    }


def test_a_month_uses_the_archive_years_that_already_have_data() -> None:
    archive = (
        "https://archive-api.open-meteo.com/v1/archive?latitude=38.7000&longitude=-9.1000"
        "&start_date=2024-03-01&end_date=2026-03-31"
        "&daily=temperature_2m_max%2Ctemperature_2m_min%2Cprecipitation_sum&timezone=auto"
    )
    transport = RecordedTransport({("GET", archive): recorded("open_meteo_archive_lisbon.json")})
    result = run(transport, place="Lisbon", latitude=38.7, longitude=-9.1, month=3)
    assert result.ok, result.error  # March 2027 is this month, but a month is always a climate estimate
    assert result.source is not None and "2024-2026" in result.source.note
    assert isinstance(result.data, dict) and (result.data["start"], result.data["end"]) == (
        "2027-03-01",
        "2027-03-31",
    )
    assert result.data["summary"]["temp_high_c"] == 40.0  # the recorded non-August values


def test_forecast_is_clipped_to_the_horizon_with_a_note() -> None:
    forecast = FORECAST.replace(
        "start_date=2027-03-03&end_date=2027-03-05", "start_date=2027-03-14&end_date=2027-03-16"
    )
    transport = RecordedTransport(
        {
            ("GET", GEOCODE): recorded("open_meteo_geocoding_lisbon.json"),
            ("GET", forecast): recorded("open_meteo_forecast_lisbon.json"),
        }
    )
    result = run(transport, place="Lisbon", date="2027-03-14", days=7)
    assert result.ok, result.error
    assert isinstance(result.data, dict)
    assert result.data["end"] == "2027-03-16"
    assert result.data["notes"] == ["the forecast reaches only 2027-03-16; later days are not covered"]


def test_country_hint_picks_the_matching_place() -> None:
    forecast = FORECAST.replace("latitude=38.7167&longitude=-9.1333", "latitude=40.7721&longitude=-80.7681")
    transport = RecordedTransport(
        {
            ("GET", GEOCODE): recorded("open_meteo_geocoding_lisbon.json"),
            ("GET", forecast): recorded("open_meteo_forecast_lisbon.json"),
        }
    )
    result = run(transport, place="Lisbon, United States", date="2027-03-03")
    assert result.ok, result.error
    assert isinstance(result.data, dict) and result.data["country"] == "United States"


def test_unknown_place() -> None:
    geocode = GEOCODE.replace("Lisbon", "Xqzvb")
    transport = RecordedTransport({("GET", geocode): recorded("open_meteo_geocoding_empty.json")})
    result = run(transport, place="Xqzvb")
    assert not result.ok and result.error == "open-meteo found no place named 'Xqzvb'"


@pytest.mark.parametrize(
    ("responder", "error"),
    [
        (
            recorded("open_meteo_error_400.json", 400),
            "open-meteo answered HTTP 400: "
            "Parameter 'start_date' is out of allowed range from 2016-01-01 to 2027-03-17",
        ),
        (
            HttpResponse(500, "", b"<html>Internal Server Error</html>"),
            "open-meteo answered HTTP 500: <html>Internal Server Error</html>",
        ),
        (
            HttpResponse(
                429, "", b'{"error":true,"reason":"Daily API request limit exceeded"}', {"Retry-After": "60"}
            ),
            "open-meteo rate limit exceeded (HTTP 429, retry after 60s)",
        ),
        (
            HttpResponse(200, "", b'{"daily": {"time": ["2027-03-03"'),
            "open-meteo answered with malformed JSON",
        ),
        (
            recorded("open_meteo_forecast_mismatched.json"),
            "open-meteo answered with unexpected data (daily: Value error, daily series differ in length)",
        ),
        (
            HttpResponse(200, "", b'{"daily": {"time": ["not a date"]}}'),
            "open-meteo answered with unexpected data "
            "(daily.time.0: Input should be a valid date or datetime, invalid character in year)",
        ),
        (HttpTimeout("GET ... timed out after 3s"), "open-meteo did not answer within 3.0s"),
    ],
)
def test_upstream_failures_become_error_results(responder: Any, error: str) -> None:
    transport = RecordedTransport(
        {("GET", GEOCODE): recorded("open_meteo_geocoding_lisbon.json"), ("GET", FORECAST): responder}
    )
    result = run(transport, place="Lisbon", date="2027-03-03")
    assert not result.ok
    assert result.error == error
    assert result.data is None


def test_offline_estimate_is_deterministic_plausible_and_labelled() -> None:
    provider = OfflineWeather(today=lambda: TODAY)
    registry = ToolRegistry([weather.tool(provider)])

    def summary(**arguments: Any) -> dict[str, Any]:
        [result] = registry.run_parallel([("weather", arguments)], timeout=2)
        assert result.ok and result.source is not None and result.source.offline, result.error
        assert result.source.note == "offline estimate, not live data"
        assert isinstance(result.data, dict) and result.data["kind"] == "climate"
        return result.data["summary"]

    assert summary(place="Paris", month=7) == summary(place="Paris", month=7)
    assert (
        summary(place="Paris", month=7)["temp_high_c"] > summary(place="Paris", month=1)["temp_high_c"] + 10
    )
    assert (
        summary(place="Sydney", month=1)["temp_high_c"] > summary(place="Sydney", month=7)["temp_high_c"] + 8
    )
    assert 28 <= summary(place="Singapore", month=1)["temp_high_c"] <= 34
    assert summary(place="Reykjavik", month=1)["temp_high_c"] < 5
    assert summary(place="Dubai", month=7)["precipitation_mm_per_day"] < 1.5
    assert summary(place="Paris", date="2027-07-01", days=3) != summary(
        place="Rome", date="2027-07-01", days=3
    )


def test_offline_estimate_for_an_unknown_place() -> None:
    reply = OfflineWeather(today=lambda: TODAY)(WeatherParams(place="Qwxyzville"))
    assert reply.data.latitude == 45.0
    assert reply.data.notes == ["location of 'Qwxyzville' unknown: generic mid-latitude climate"]
    assert (reply.data.start, reply.data.end) == (TODAY, TODAY + dt.timedelta(days=2))
