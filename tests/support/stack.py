"""The local stack over real HTTP for the load, fault and bad-input tests.

:func:`http_stack` starts moto's ``ThreadedMotoServer`` with the template's resources
(``start_local_stack(server=True)``) and an :class:`~devstack.gateway.ApiGateway` on loopback, applies
the stack's environment to this process (so the handlers' ``default_env()`` and boto3 clients reach
moto), and undoes all of it afterwards. Use it for one module at a time: moto's backends are global,
so a ``mock_aws`` test running while the server stack is up would reset its tables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from devstack.gateway import ApiGateway
from devstack.local_patches import patch_local_stack
from devstack.moto_stack import LocalStack, start_local_stack
from durable_agents.runtime import aws, reset_default_env
from durable_agents.runtime.aws import client_config
from durable_agents.runtime.storage import Storage
from durable_agents.runtime.table import StateSnapshot, StateTable


@dataclass
class HttpStack:
    stack: LocalStack
    gateway: ApiGateway

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def table_name(self) -> str:
        return self.stack.physical_id("StateTable")

    def dynamodb(self) -> Any:
        """A DynamoDB client of its own for the test (the runtime's process-wide one is left alone)."""
        import boto3

        return boto3.client(
            "dynamodb",
            region_name=self.stack.region,
            endpoint_url=self.stack.endpoint_url,
            config=client_config(),
        )

    def runtime_dynamodb(self) -> Any:
        """The client the handlers' runtime uses in this process (``default_env().table.client``)."""
        return aws.client("dynamodb")

    def table(self) -> StateTable:
        return StateTable(self.dynamodb(), self.table_name)


@contextmanager
def http_stack(parameters: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None) -> Iterator[HttpStack]:
    """The template's stack on a moto server plus the API on ``http://127.0.0.1:<free port>``."""
    patch_local_stack()
    quiet = {name: logging.getLogger(name).level for name in ("werkzeug", "devstack.gateway", "devstack.lambda")}
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    patch = pytest.MonkeyPatch()
    stack = start_local_stack(server=True, parameters=parameters)
    try:
        for name in ("AWS_PROFILE",):
            patch.delenv(name, raising=False)
        for name, value in {**stack.environ, **(environ or {})}.items():
            patch.setenv(name, value)
        reset_default_env()
        aws.client.cache_clear()
        gateway = ApiGateway.for_stack(stack).start()
        try:
            yield HttpStack(stack, gateway)
        finally:
            gateway.stop()
    finally:
        patch.undo()
        reset_default_env()
        aws.client.cache_clear()
        stack.stop()
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def scan_table(client: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of the table (consistent, all pages), sorted by key: a snapshot to compare."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def stored_view(table: StateTable, pk: str) -> tuple[Storage, StateSnapshot]:
    """A read-only view of an object's committed storage, straight from the table (no turn, no lease)."""
    snapshot = table.peek(pk)
    return Storage(table, pk, snapshot, read_only=True), snapshot


def full_history(table: StateTable, pk: str) -> list[dict[str, Any]]:
    """An object's whole history (every entry, oldest first), straight from its items."""
    storage, snapshot = stored_view(table, pk)
    if not snapshot.exists:
        return []
    entries = storage.history.list()
    assert [seq for seq, _ in entries] == list(range(1, snapshot.seq + 1)), "history has gaps"
    return [entry for _, entry in entries]
