"""Live tool keys from an SSM SecureString (moto), and the registry built from them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from durable_agents.config import Settings
from durable_agents.http import RecordedTransport
from durable_agents.tools import default_registry
from durable_agents.tools.flights import AmadeusFlights
from durable_agents.tools.search import BraveSearch
from durable_agents.tools.secrets import fetch_tool_secrets, load_tool_secrets
from moto import mock_aws

PARAMETER = "/durable-agents/test/tool-secrets"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    fetch_tool_secrets.cache_clear()
    with mock_aws():
        yield boto3.client("ssm")
    fetch_tool_secrets.cache_clear()


def put(ssm: object, value: str) -> None:
    ssm.put_parameter(Name=PARAMETER, Value=value, Type="SecureString", Overwrite=True)  # type: ignore[attr-defined]


def test_secrets_are_decrypted_and_cached(ssm: object) -> None:
    put(ssm, json.dumps({"brave_api_key": "k1", "amadeus_client_id": "id"}))
    assert dict(load_tool_secrets(PARAMETER)) == {"brave_api_key": "k1", "amadeus_client_id": "id"}
    put(ssm, json.dumps({"brave_api_key": "k2"}))
    assert load_tool_secrets(PARAMETER)["brave_api_key"] == "k1"  # read once per process


def test_failures_give_no_keys_and_are_retried(ssm: object, caplog: pytest.LogCaptureFixture) -> None:
    assert load_tool_secrets(PARAMETER) == {}
    assert f"tool secrets {PARAMETER} unavailable: ParameterNotFound" in caplog.text
    put(ssm, "not json {SECRET-1}")
    assert load_tool_secrets(PARAMETER) == {}
    put(ssm, json.dumps({"brave_api_key": ["SECRET-2"]}))
    assert load_tool_secrets(PARAMETER) == {}
    assert "SECRET" not in caplog.text  # values are never logged
    put(ssm, json.dumps({"brave_api_key": "k3"}))
    assert load_tool_secrets(PARAMETER) == {"brave_api_key": "k3"}


def test_no_parameter_name_means_no_keys_and_no_aws_call() -> None:
    assert load_tool_secrets("") == {}


def test_live_registry_reads_its_keys_from_ssm(ssm: object) -> None:
    put(ssm, json.dumps({"amadeus_client_id": "id", "amadeus_client_secret": "secret"}))
    settings = Settings(state_table="t", tool_provider="live", tool_secrets_parameter=PARAMETER)
    registry = default_registry(settings, transport=RecordedTransport())
    assert isinstance(registry.get("flights").provider, AmadeusFlights)
    assert not isinstance(registry.get("search").provider, BraveSearch)  # no brave_api_key: offline
