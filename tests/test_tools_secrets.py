"""Live tool keys from an SSM SecureString (moto): read when a tool runs, successes kept, failures briefly."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from moto import mock_aws

from durable_agents.config import Settings
from durable_agents.http import HttpResponse, RecordedTransport
from durable_agents.tools import default_registry, secrets
from durable_agents.tools.secrets import NO_SECRETS, ToolSecrets, load_tool_secrets

PARAMETER = "/durable-agents/test/tool-secrets"
BRAVE_URL = (
    "https://api.search.brave.com/res/v1/web/search?q=lisbon+trams&count=5&safesearch=moderate"
    "&text_decorations=false"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("ssm")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A fresh process-wide cache on a clock the test moves."""
    clock = Clock()
    monkeypatch.setattr(secrets, "_process_secrets", ToolSecrets(clock=clock))
    return clock


def put(ssm: Any, value: str) -> None:
    ssm.put_parameter(Name=PARAMETER, Value=value, Type="SecureString", Overwrite=True)


def test_secrets_are_decrypted_and_kept(ssm: Any, clock: Clock) -> None:
    put(ssm, json.dumps({"brave_api_key": "k1", "amadeus_client_id": "id"}))
    assert dict(load_tool_secrets(PARAMETER)) == {"brave_api_key": "k1", "amadeus_client_id": "id"}
    put(ssm, json.dumps({"brave_api_key": "k2"}))
    clock.now += 10 * secrets.FAILURE_RETRY_SECONDS
    assert load_tool_secrets(PARAMETER)["brave_api_key"] == "k1"  # a success is read once per process


def test_a_failure_stands_briefly_then_the_parameter_is_read_again(
    ssm: Any, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    assert load_tool_secrets(PARAMETER) is NO_SECRETS
    assert f"tool secrets {PARAMETER} unavailable (ParameterNotFound); retrying in 60s" in caplog.text
    put(ssm, json.dumps({"brave_api_key": "k3"}))
    clock.now += secrets.FAILURE_RETRY_SECONDS - 1
    assert load_tool_secrets(PARAMETER) is NO_SECRETS  # still within the failure's window: SSM not asked
    clock.now += 1
    assert load_tool_secrets(PARAMETER) == {"brave_api_key": "k3"}


@pytest.mark.parametrize("value", ["not json {SECRET-1}", json.dumps({"brave_api_key": ["SECRET-2"]})])
def test_unusable_values_are_failures_and_never_logged(
    ssm: Any, clock: Clock, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    put(ssm, value)
    assert load_tool_secrets(PARAMETER) is NO_SECRETS
    assert "SECRET" not in caplog.text
    put(ssm, json.dumps({"brave_api_key": "k4"}))
    clock.now += secrets.FAILURE_RETRY_SECONDS
    assert load_tool_secrets(PARAMETER) == {"brave_api_key": "k4"}


def test_no_parameter_name_means_no_keys_and_no_read() -> None:
    def fetch(name: str) -> Mapping[str, str]:
        raise AssertionError(f"read {name}")

    assert ToolSecrets(fetch).get("") is NO_SECRETS


def test_calls_within_a_failure_window_do_not_read_again() -> None:
    reads: list[str] = []

    def fetch(name: str) -> Mapping[str, str]:
        reads.append(name)
        raise ValueError("not JSON")

    clock = Clock()
    cache = ToolSecrets(fetch, retry_after=30, clock=clock)
    assert [cache.get(PARAMETER) for _ in range(5)] == [NO_SECRETS] * 5
    assert reads == [PARAMETER]
    clock.now += 30
    cache.get(PARAMETER)
    assert reads == [PARAMETER, PARAMETER]


def test_the_live_registry_goes_live_once_its_keys_can_be_read(ssm: Any, clock: Clock) -> None:
    """The registry (built once per process) was built while SSM had no keys: its tools answer offline,
    then live once the parameter is readable again: a failure is not kept for the process's life."""
    transport = RecordedTransport()
    body = json.dumps({"type": "search", "web": {"results": [{"title": "T", "url": "https://a.example/"}]}})
    transport.add("GET", BRAVE_URL, HttpResponse(200, "", body.encode()))
    settings = Settings(state_table="t", tool_provider="live", tool_secrets_parameter=PARAMETER)
    registry = default_registry(settings, transport=transport)

    [offline] = registry.run_parallel([("search", {"query": "lisbon trams"})], timeout=3)
    assert offline.ok and offline.source is not None and offline.source.offline
    assert offline.source.note is not None and offline.source.note.startswith(
        "no Brave Search key configured"
    )

    put(
        ssm, json.dumps({"brave_api_key": "k-brave", "amadeus_client_id": "id", "amadeus_client_secret": "s"})
    )
    clock.now += secrets.FAILURE_RETRY_SECONDS
    [live] = registry.run_parallel([("search", {"query": "lisbon trams"})], timeout=3)
    assert live.ok and live.source is not None and not live.source.offline
    assert transport.requests[0][2]["X-Subscription-Token"] == "k-brave"
