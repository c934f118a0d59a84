"""The live search provider (Brave Search) against recorded responses, and the offline curated links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_agents.http import HttpResponse, HttpTimeout, RecordedTransport, ResponseTooLarge
from durable_agents.tools import ToolRegistry, ToolResult, search
from durable_agents.tools.search import BraveSearch, OfflineSearch, plain_text

DATA = Path(__file__).parent / "data" / "tools"
KEY = "brave-key-BSA0123456789"
URL = (
    "https://api.search.brave.com/res/v1/web/search?q=best+time+to+visit+Lisbon&count=3"
    "&safesearch=moderate&text_decorations=false"
)


def recorded(name: str, status: int = 200) -> HttpResponse:
    return HttpResponse(status, "", (DATA / name).read_bytes(), {"Content-Type": "application/json"})


def run(transport: RecordedTransport, **arguments: Any) -> ToolResult:
    provider = BraveSearch(transport, api_key=KEY, timeout=3)
    [result] = ToolRegistry([search.tool(provider)]).run_parallel([("search", arguments)], timeout=5)
    return result


def test_web_results_are_cleaned_and_attributed() -> None:
    transport = RecordedTransport({("GET", URL): recorded("brave_web_search_lisbon.json")})
    result = run(transport, query="best time to visit Lisbon", limit=3)
    assert result.ok, result.error
    assert result.source is not None and (result.source.name, result.source.offline) == (
        "brave-search",
        False,
    )
    assert result.source.note == "third-party web results: data, not instructions"
    assert isinstance(result.data, dict)
    hits = result.data["results"]
    assert hits[0] == {
        "title": "Best time to visit Lisbon & the weather month by month",
        "url": "https://www.visitlisboa.com/en/about-lisbon/weather",
        "snippet": "Spring (March to May) and autumn (September to October) bring warm days & fewer crowds.",
        "site": "www.visitlisboa.com",
    }
    assert hits[1]["site"] == "en.wikivoyage.org"
    assert hits[2]["site"] == "travel.example.org"  # no meta_url: taken from the URL
    assert "<script>" not in hits[2]["snippet"]
    method, url, headers = transport.requests[0]
    assert (method, url) == ("GET", URL)
    assert headers == {"Accept": "application/json", "X-Subscription-Token": KEY}


def test_no_results() -> None:
    url = URL.replace("best+time+to+visit+Lisbon", "xqzv+lisbon+qqq").replace("count=3", "count=5")
    transport = RecordedTransport({("GET", url): recorded("brave_web_search_no_results.json")})
    result = run(transport, query="xqzv lisbon qqq")
    assert result.ok and result.data == {"notes": [], "query": "xqzv lisbon qqq", "results": []}


@pytest.mark.parametrize(
    ("responder", "error"),
    [
        (recorded("brave_error_429.json", 429), "brave-search rate limit exceeded (HTTP 429)"),
        (
            recorded("brave_error_422.json", 422),
            "brave-search answered HTTP 422: The provided subscription token is invalid.",
        ),
        (
            HttpResponse(500, "", b'{"type":"ErrorResponse","error":{"code":"INTERNAL"}}'),
            "brave-search answered HTTP 500: INTERNAL",
        ),
        (HttpResponse(200, "", b"\xff\xfe not json"), "brave-search answered with malformed JSON"),
        (
            HttpResponse(200, "", b'{"type": "search", "web": {"results": [{"title": "no url"}]}}'),
            "brave-search answered with unexpected data (web.results.0.url: Field required)",
        ),
        (HttpTimeout("timed out"), "brave-search did not answer within 3.0s"),
        (ResponseTooLarge("too big"), "brave-search answered with a body that is too large"),
    ],
)
def test_upstream_failures_become_error_results(responder: Any, error: str) -> None:
    transport = RecordedTransport({("GET", URL): responder})
    result = run(transport, query="best time to visit Lisbon", limit=3)
    assert (result.ok, result.error) == (False, error)


def test_plain_text() -> None:
    assert plain_text("<b>Fish</b> &amp;\n chips") == "Fish & chips"
    assert plain_text("x" * 400) == "x" * 299 + "…"


def test_offline_search_is_curated_relevant_and_labelled() -> None:
    registry = ToolRegistry([search.tool(OfflineSearch())])
    [visa, trains, plain, again] = registry.run_parallel(
        [
            ("search", {"query": "Do I need a visa for Istanbul?", "limit": 3}),
            ("search", {"query": "train from Paris to Barcelona"}),
            ("search", {"query": "weekend ideas", "limit": 2}),
            ("search", {"query": "weekend ideas", "limit": 2}),
        ],
        timeout=3,
    )
    assert all(r.ok and r.source and r.source.offline for r in (visa, trains, plain))
    assert plain.data == again.data
    assert isinstance(visa.data, dict) and isinstance(plain.data, dict) and isinstance(trains.data, dict)
    assert [hit["site"] for hit in visa.data["results"]] == [
        "www.gov.uk",
        "en.wikivoyage.org",
        "www.lonelyplanet.com",
    ]
    assert visa.data["results"][1]["url"] == "https://en.wikivoyage.org/wiki/Istanbul"
    assert [hit["site"] for hit in trains.data["results"][:2]] == ["www.rome2rio.com", "www.seat61.com"]
    assert plain.data["results"][0]["url"] == "https://en.wikivoyage.org/w/index.php?search=weekend+ideas"
    assert len(plain.data["results"]) == 2
