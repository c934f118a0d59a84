"""Shared fixtures: moto-backed AWS (offline), the state table, and an Env with test bindings."""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)

from devstack.local_patches import patch_local_stack  # noqa: E402
from durable_agents.config import Settings  # noqa: E402
from durable_agents.runtime import Env  # noqa: E402
from durable_agents.runtime.aws import client_config  # noqa: E402

TEST_BINDINGS = {
    "COUNTER": "tests.support.objects:Counter",
    "PINGER": "tests.support.objects:Pinger",
    "PONGER": "tests.support.objects:Ponger",
    "SCRATCH": "tests.support.objects:Scratch",
    "ALARMED": "tests.support.objects:Alarmed",
    "PLANNER": "tests.support.objects:Planner",
    "DESK": "tests.support.objects:Desk",
    "WATCH": "tests.support.objects:Watch",
}
TABLE = "state-test"


@pytest.fixture(autouse=True)
def _devstack_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local stack a test starts (``python -m devstack.serve``) keeps its tables in a folder of its own,
    never in the repository's ``.devstack/`` (which a developer's ``make run`` may be using)."""
    monkeypatch.setenv("DEVSTACK_DATA", str(tmp_path_factory.mktemp("devstack")))


@pytest.fixture
def moto_aws() -> Iterator[None]:
    from moto import mock_aws

    patch_local_stack()
    with mock_aws():
        yield


def create_state_table(client: Any, name: str = TABLE) -> None:
    """Create the state table exactly as template.yaml declares it (keys, stream, TTL attribute)."""
    from devstack.template import SamTemplate

    (spec,) = SamTemplate.load().tables.values()
    client.create_table(**spec.create_table_kwargs(name))
    if spec.ttl_attribute:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
        )


@pytest.fixture
def dynamodb(moto_aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1", config=client_config())
    create_state_table(client)
    return client


class RoundTrips:
    """Counts DynamoDB API calls made through one client (botocore ``before-call`` events)."""

    def __init__(self, client: Any):
        self.calls: Tally[str] = Tally()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def round_trips(dynamodb: Any) -> RoundTrips:
    return RoundTrips(dynamodb)


def make_env(dynamodb: Any, **overrides: Any) -> Env:
    settings = Settings(state_table=TABLE, **overrides)
    return Env(settings, TEST_BINDINGS, dynamodb=dynamodb)


@pytest.fixture
def env(dynamodb: Any) -> Env:
    return make_env(dynamodb, lease_seconds=30, busy_wait_seconds=5)
