"""Shared fixtures: moto-backed AWS (offline), the state table, and an Env with test bindings."""

from __future__ import annotations

import functools
import os
from collections import Counter as Tally
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

if TYPE_CHECKING:
    from tests.support.api_client import ApiClient
    from tests.support.stack import HttpStack

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


@pytest.fixture(scope="session", autouse=True)
def _devstack_data_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A local stack started without a folder of its own keeps its tables in the session's, never in the
    repository's ``.devstack/`` (which a developer's ``make run`` may be using). Set once per session (per
    worker), not per test: ``tests.support.stack.serve`` gives each stack its own folder anyway."""
    before = os.environ.get("DEVSTACK_DATA")
    os.environ["DEVSTACK_DATA"] = str(tmp_path_factory.mktemp("devstack-session"))
    yield
    if before is None:
        os.environ.pop("DEVSTACK_DATA", None)
    else:
        os.environ["DEVSTACK_DATA"] = before


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """moto's offline AWS for one test: every backend empty at its start, patched as the local stack is."""
    from moto import mock_aws

    patch_local_stack()
    # moto would replace boto3's default session on every start, so each test's boto3.client would load
    # the service models again (60-200 ms a client); the data is reset on every start either way.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        yield


@functools.cache
def _state_table_spec() -> Any:
    from devstack.template import SamTemplate

    (spec,) = SamTemplate.load().tables.values()
    return spec


def create_state_table(client: Any, name: str = TABLE) -> None:
    """Create the state table exactly as template.yaml declares it (keys, stream, TTL attribute)."""
    spec = _state_table_spec()
    client.create_table(**spec.create_table_kwargs(name))
    if spec.ttl_attribute:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
        )


@pytest.fixture
def dynamodb(moto_aws: None) -> Any:
    """A DynamoDB client of the test's own, on moto, with the state table (``TABLE``) created empty."""
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


@pytest.fixture(scope="module")
def local() -> Iterator[HttpStack]:
    """The local stack served on loopback (an ephemeral port), one per test module."""
    from tests.support.stack import http_stack

    with http_stack() as stack:
        yield stack


@pytest.fixture
def api(local: HttpStack) -> ApiClient:
    """A client of ``local``'s HTTP API."""
    from tests.support.api_client import ApiClient

    return ApiClient(local.url)
