"""The tool registry: parallel runs with failures, timeouts and bad input; schemas; the default tools."""

from __future__ import annotations

import contextvars
import json
import threading
import time
from typing import Any

import pytest
from pydantic import BaseModel

from durable_agents.config import Settings
from durable_agents.http import HttpResponse, RecordedTransport
from durable_agents.tools import Tool, ToolRegistry, default_registry, offline_registry
from durable_agents.tools.deadline import set_deadline, time_left
from durable_agents.tools.errors import ToolError
from durable_agents.tools.models import Reply, SearchParams, SearchResults, Source
from durable_agents.tools.search import BraveSearch
from durable_agents.tools.weather import OpenMeteoWeather

SOURCE = Source(name="test", offline=True, note="test data")
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


class EchoParams(BaseModel):
    text: str
    delay: float = 0.0


class EchoData(BaseModel):
    echo: str
    request_id: str = ""
    thread: str = ""


def echo_provider(params: EchoParams) -> Reply:
    time.sleep(params.delay)
    return Reply(
        data=EchoData(echo=params.text, request_id=REQUEST_ID.get(), thread=threading.current_thread().name),
        source=SOURCE,
    )


def echo_tool(name: str = "echo", provider: Any = echo_provider) -> Tool:
    return Tool(name, f"{name} tool", EchoParams, EchoData, provider)


@pytest.fixture
def release() -> Any:
    event = threading.Event()
    yield event
    event.set()  # let an abandoned slow provider finish


def test_run_parallel_isolates_failures_and_keeps_call_order(release: threading.Event) -> None:
    def boom(params: EchoParams) -> Reply:
        raise RuntimeError("boom")

    def slow(params: EchoParams) -> Reply:
        release.wait(10)
        return echo_provider(params)

    def bad_data(params: EchoParams) -> Reply:
        return Reply(data={"echo": 42, "unexpected": True}, source=SOURCE)

    def not_a_reply(params: EchoParams) -> dict[str, str]:
        return {"echo": params.text}

    def refuses(params: EchoParams) -> Reply:
        raise ToolError("no such route")

    registry = ToolRegistry(
        [
            echo_tool(),
            echo_tool("boom", boom),
            echo_tool("slow", slow),
            echo_tool("bad", bad_data),
            echo_tool("raw", not_a_reply),
            echo_tool("refuses", refuses),
        ]
    )
    calls: list[tuple[str, dict[str, Any]]] = [
        ("echo", {"text": "first"}),
        ("boom", {"text": "x"}),
        ("slow", {"text": "x"}),
        ("bad", {"text": "x"}),
        ("echo", {"delay": 1}),  # bad arguments: no text
        ("nope", {}),
        ("raw", {"text": "x"}),
        ("refuses", {"text": "x"}),
        ("echo", {"text": "last", "delay": 0.05}),
    ]
    timeout = 0.5
    started = time.monotonic()
    results = registry.run_parallel(calls, timeout=timeout)
    elapsed = time.monotonic() - started

    assert elapsed < timeout + 0.25, f"caller was held {elapsed:.2f}s"
    assert [r.tool for r in results] == [name for name, _ in calls]
    assert [r.ok for r in results] == [True, False, False, False, False, False, False, False, True]
    first, boomed, slowed, bad, args, unknown, raw, refused, last = results
    assert isinstance(first.data, dict)
    assert first.data == {"echo": "first", "request_id": "unset", "thread": first.data["thread"]}
    assert first.source == SOURCE and first.error is None
    assert isinstance(last.data, dict) and last.data["echo"] == "last" and last.elapsed_ms >= 50
    assert boomed.error == "boom failed: RuntimeError: boom" and boomed.data is None
    assert slowed.error == "timed out after 0.5s" and slowed.elapsed_ms >= 500
    assert bad.error is not None and bad.error.startswith("bad provider returned invalid data: echo: ")
    assert args.error == "invalid arguments for echo: text: Field required"
    assert unknown.error == "unknown tool 'nope' (known: echo, boom, slow, bad, raw, refuses)"
    assert raw.error == "raw provider returned dict, not a Reply"
    assert refused.error == "no such route" and refused.source is None


def test_calls_run_concurrently_on_worker_threads() -> None:
    registry = ToolRegistry([echo_tool()])
    started = time.monotonic()
    results = registry.run_parallel([("echo", {"text": str(i), "delay": 0.3}) for i in range(5)], timeout=2)
    elapsed = time.monotonic() - started
    assert [r.data["echo"] for r in results if isinstance(r.data, dict)] == ["0", "1", "2", "3", "4"]
    assert elapsed < 0.9, f"5 x 0.3s calls took {elapsed:.2f}s: not concurrent"
    assert all(
        isinstance(r.data, dict) and r.data["thread"].startswith("durable-agents-tool") for r in results
    )


def test_context_variables_reach_the_providers_and_the_deadline_stays_in_the_worker() -> None:
    seen: list[float] = []

    def deadline_probe(params: EchoParams) -> Reply:
        seen.append(time_left(100.0))
        return echo_provider(params)

    registry = ToolRegistry([echo_tool(), echo_tool("probe", deadline_probe)])
    token = REQUEST_ID.set("req-42")
    try:
        results = registry.run_parallel([("echo", {"text": "a"}), ("probe", {"text": "b"})], timeout=3)
    finally:
        REQUEST_ID.reset(token)
    assert [r.data["request_id"] for r in results if isinstance(r.data, dict)] == ["req-42", "req-42"]
    assert len(seen) == 1 and 2.0 < seen[0] <= 3.0  # clipped to the run's deadline
    assert time_left(100.0) == 100.0  # the caller's own context has no deadline


def test_arguments_of_the_wrong_kind_are_reported_not_raised() -> None:
    registry = offline_registry()
    results = registry.run_parallel(
        [
            ("weather", ["Lisbon"]),  # type: ignore[list-item]
            ("weather", {"place": "Lisbon", "latitude": 38.7}),
            ("weather", {"place": "Lisbon", "date": "2030-01-01", "month": 3}),
            ("flights", {"origin": "LIS", "destination": "lis"}),
            ("flights", {"origin": "LIS", "destination": "PAR", "return_date": "2030-01-01"}),
            ("flights", {"origin": "LIS", "destination": "PAR", "adults": 5, "children": 5}),
            ("hotels", {"city": "Paris", "currency": "EURO"}),
            ("hotels", {"city": "Paris", "nights": 0, "guests": 12}),
            ("search", {"query": "x", "extra": 1}),
        ],
        timeout=2,
    )
    assert all(not r.ok for r in results)
    assert [r.error for r in results] == [
        "invalid arguments for weather: arguments: "
        "Input should be a valid dictionary or instance of WeatherParams",
        "invalid arguments for weather: arguments: give both latitude and longitude, or neither",
        "invalid arguments for weather: arguments: give a date or a month, not both",
        "invalid arguments for flights: arguments: origin and destination are the same",
        "invalid arguments for flights: arguments: a return_date needs a departure_date",
        "invalid arguments for flights: arguments: at most 9 seated travellers (adults + children)",
        "invalid arguments for hotels: currency: String should match pattern '^[A-Za-z]{3}$'",
        "invalid arguments for hotels: nights: Input should be greater than or equal to 1; "
        "guests: Input should be less than or equal to 9",
        "invalid arguments for search: query: String should have at least 2 characters; "
        "extra: Extra inputs are not permitted",
    ]


def test_run_parallel_with_no_calls_and_a_bad_timeout() -> None:
    registry = offline_registry()
    assert registry.run_parallel([], timeout=1) == []
    with pytest.raises(ValueError, match="timeout must be positive"):
        registry.run_parallel([("search", {"query": "rome"})], timeout=0)


def test_register_get_and_names() -> None:
    registry = ToolRegistry([echo_tool("b"), echo_tool("a")])
    assert registry.names() == ["b", "a"]
    assert registry.get("a").name == "a"
    with pytest.raises(ValueError, match="already registered"):
        registry.register(echo_tool("a"))
    with pytest.raises(KeyError, match="unknown tool 'c'"):
        registry.get("c")


def test_json_schemas_describe_every_tool_for_an_llm() -> None:
    schemas = offline_registry().json_schemas()
    assert [s["name"] for s in schemas] == ["weather", "flights", "hotels", "attractions", "search"]
    by_name = {s["name"]: s for s in schemas}
    for schema in schemas:
        assert schema["description"]
        spec = schema["input_schema"]
        assert spec["type"] == "object" and spec["additionalProperties"] is False
        assert "$defs" not in json.dumps(spec)  # flat: no references for the model to resolve
    assert by_name["weather"]["input_schema"]["required"] == ["place"]
    assert by_name["flights"]["input_schema"]["required"] == ["origin", "destination"]
    assert by_name["hotels"]["input_schema"]["required"] == ["city"]
    assert by_name["attractions"]["input_schema"]["required"] == ["city"]
    assert by_name["search"]["input_schema"]["required"] == ["query"]
    flights = by_name["flights"]["input_schema"]["properties"]
    assert set(flights) == {
        "origin",
        "destination",
        "departure_date",
        "month",
        "return_date",
        "adults",
        "children",
        "currency",
    }
    assert {"format": "date", "type": "string"} in flights["departure_date"]["anyOf"]
    assert flights["adults"]["minimum"] == 1 and flights["adults"]["maximum"] == 9
    assert by_name["search"]["input_schema"]["properties"]["limit"]["default"] == 5
    assert by_name["attractions"]["input_schema"]["properties"]["interests"]["type"] == "array"


def test_default_registry_offline_answers_every_tool_offline() -> None:
    registry = default_registry(Settings(state_table="t"))
    calls: list[tuple[str, dict[str, Any]]] = [
        ("weather", {"place": "Rome", "month": 5}),
        ("flights", {"origin": "Rome", "destination": "Paris"}),
        ("hotels", {"city": "Rome"}),
        ("attractions", {"city": "Rome"}),
        ("search", {"query": "Rome"}),
    ]
    results = registry.run_parallel(calls, timeout=5)
    assert all(r.ok for r in results), [r.error for r in results]
    assert all(
        r.source and r.source.offline and r.source.note == "offline estimate, not live data" for r in results
    )


def test_default_registry_live_without_keys_falls_back_offline_with_a_note() -> None:
    transport = RecordedTransport()
    registry = default_registry(
        Settings(state_table="t", tool_provider="live"), transport=transport, secrets={}
    )
    assert isinstance(registry.get("weather").provider, OpenMeteoWeather)  # needs no key
    results = registry.run_parallel(
        [
            ("flights", {"origin": "LON", "destination": "LIS"}),
            ("hotels", {"city": "Lisbon"}),
            ("attractions", {"city": "Lisbon"}),
            ("search", {"query": "Lisbon trams"}),
        ],
        timeout=5,
    )
    assert all(r.ok for r in results), [r.error for r in results]
    notes = [r.source.note for r in results if r.source and r.source.offline]
    amadeus = "no Amadeus key configured (amadeus_client_id, amadeus_client_secret)"
    assert notes == [
        f"{amadeus}; offline estimate, not live data",
        f"{amadeus}; offline estimate, not live data",
        "no OpenTripMap key configured (opentripmap_api_key); offline estimate, not live data",
        "no Brave Search key configured (brave_api_key); offline estimate, not live data",
    ]
    assert transport.requests == []


def test_default_registry_live_with_keys_uses_the_live_providers() -> None:
    transport = RecordedTransport()
    body = json.dumps({"type": "search", "web": {"results": [{"title": "T", "url": "https://a.example/"}]}})
    transport.add(
        "GET",
        "https://api.search.brave.com/res/v1/web/search?q=lisbon+trams&count=5"
        "&safesearch=moderate&text_decorations=false",
        HttpResponse(200, "", body.encode()),
    )
    settings = Settings(state_table="t", tool_provider="live", tool_timeout_seconds=2.5)
    registry = default_registry(settings, transport=transport, secrets={"brave_api_key": "k-brave"})
    assert isinstance(registry.get("search").provider, BraveSearch)
    [result] = registry.run_parallel([("search", {"query": "lisbon trams"})], timeout=3)
    assert result.ok and result.source is not None and not result.source.offline
    assert result.data == {
        "notes": [],
        "query": "lisbon trams",
        "results": [{"title": "T", "url": "https://a.example/", "snippet": "", "site": "a.example"}],
    }
    assert transport.requests[0][2]["X-Subscription-Token"] == "k-brave"


def test_search_results_validate_against_the_declared_data_model() -> None:
    def wrong_shape(params: SearchParams) -> Reply:
        return Reply(data=EchoData(echo="not search results"), source=SOURCE)

    registry = ToolRegistry([Tool("search", "s", SearchParams, SearchResults, wrong_shape)])
    [result] = registry.run_parallel([("search", {"query": "rome"})], timeout=1)
    assert not result.ok
    assert result.error is not None and "search provider returned invalid data" in result.error


def test_upstream_requests_are_clipped_to_the_deadline() -> None:
    asked: list[float] = []

    def transport(method: str, url: str, *, timeout: float = 5.0, **_: Any) -> HttpResponse:
        asked.append(timeout)
        return HttpResponse(200, url, b'{"type": "search"}')

    provider = BraveSearch(transport, api_key="k", timeout=10.0)
    registry = ToolRegistry([Tool("search", "s", SearchParams, SearchResults, provider)])
    [result] = registry.run_parallel([("search", {"query": "rome"})], timeout=1.5)
    assert result.ok, result.error
    assert len(asked) == 1 and 1.0 < asked[0] <= 1.5


def test_no_request_is_made_after_the_deadline() -> None:
    transport = RecordedTransport()
    provider = BraveSearch(transport, api_key="k", timeout=10.0)

    def past_deadline() -> None:
        set_deadline(time.monotonic() - 1)
        with pytest.raises(ToolError, match="brave-search: no time left before the tool's deadline"):
            provider(SearchParams(query="rome"))

    contextvars.copy_context().run(past_deadline)  # keeps the deadline out of the other tests
    assert transport.requests == []
    assert time_left(3.0) == 3.0
