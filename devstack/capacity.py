"""A DynamoDB capacity meter for moto: what each request would be billed in AWS (dev/test only).

moto does not bill, so nothing that runs on it can see what a turn costs. This meter watches every
DynamoDB request moto serves (in-process ``mock_aws`` or ``ThreadedMotoServer``, both go through
moto's ``DynamoHandler``), looks at the items each one touches *before and after* it runs (under
:func:`devstack.local_patches.make_dynamodb_atomic`'s lock, so nothing moves in between), and prices it
by DynamoDB's published rules (on-demand and provisioned alike):

==================================  ===============================================================
request                             billed
==================================  ===============================================================
PutItem / UpdateItem / DeleteItem   1 WCU per started KB of the larger of the item's size before and
                                    after; a failed condition is billed on the item as it stands
                                    (1 WCU when it is absent). ``ReturnValues`` costs nothing extra.
TransactWriteItems                  2x that, per item (ConditionCheck items too); a cancelled
                                    transaction is billed on the items as they stand
BatchWriteItem                      each put/delete as a single write
GetItem / BatchGetItem              1 RCU per started 4 KB per item (an absent item: 1), strongly
                                    consistent; half that when eventually consistent
Query / Scan                        the sizes of all items read (before any filter or projection)
                                    summed, then 1 RCU per started 4 KB (at least 1); half when
                                    eventually consistent
TransactGetItems                    2x the GetItem price, per item
==================================  ===============================================================

Item sizes follow DynamoDB's rules as :mod:`durable_agents.runtime.sizes` writes them down (the runtime
enforces its limits with the same code).

Where moto returns ``ConsumedCapacity`` (the request asked for it), it is recorded beside the model.

:meth:`CapacityMeter.client_steps` also counts, for one boto3 client, the *sequential steps*: requests
in flight together (overlapping in time, with a simulated network round trip each) count as one step,
so a turn's critical path can be told from its request count.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from durable_agents.runtime.sizes import item_size, read_units, write_units

# --- one request ---------------------------------------------------------------------------------------


@dataclass
class Request:
    """One DynamoDB request as billed: ``wcu``/``rcu`` by the model, ``reported`` what moto said."""

    operation: str
    table: str
    wcu: float = 0.0
    rcu: float = 0.0
    items: int = 0
    failed: str | None = None
    reported: float | None = None
    sizes: list[tuple[int, int]] = field(default_factory=list)
    """(before, after) bytes of each item a write touched."""


@dataclass
class Totals:
    requests: list[Request] = field(default_factory=list)

    @property
    def wcu(self) -> float:
        return sum(r.wcu for r in self.requests)

    @property
    def rcu(self) -> float:
        return sum(r.rcu for r in self.requests)

    @property
    def count(self) -> int:
        return len(self.requests)

    def by_operation(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for request in self.requests:
            entry = out.setdefault(request.operation, {"requests": 0, "wcu": 0.0, "rcu": 0.0})
            entry["requests"] += 1
            entry["wcu"] += request.wcu
            entry["rcu"] += request.rcu
        return out

    def summary(self) -> dict[str, Any]:
        reported = [r.reported for r in self.requests if r.reported is not None]
        return {
            "requests": self.count,
            "wcu": self.wcu,
            "rcu": self.rcu,
            "by_operation": self.by_operation(),
            "reported_capacity": sum(reported) if reported else None,
        }


class _Backend:
    """Reads items straight from moto's backend (no request, so nothing is billed or counted)."""

    def __init__(self, handler: Any):
        self.backend = handler.dynamodb_backend

    def key_of(self, table_name: str, item_or_key: Mapping[str, Any]) -> dict[str, Any]:
        table = self.backend.get_table(table_name)
        key = {table.hash_key_attr: item_or_key[table.hash_key_attr]}
        if table.range_key_attr:
            key[table.range_key_attr] = item_or_key[table.range_key_attr]
        return key

    def get(self, table_name: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self.backend.get_table(table_name)
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        try:
            item = table.get_item(hash_value, range_value)
        except KeyError:
            return None
        return item.to_json()["Attributes"] if item is not None else None


def _writes(operation: str, body: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(table, action, key-or-item)`` of each item a write request targets."""
    if operation in ("PutItem",):
        return [(body["TableName"], "Put", body["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(body["TableName"], operation[:-4], body["Key"])]
    if operation == "TransactWriteItems":
        out = []
        for entry in body.get("TransactItems", []):
            ((action, spec),) = entry.items()
            out.append((spec["TableName"], action, spec.get("Item") or spec.get("Key")))
        return out
    if operation == "BatchWriteItem":
        out = []
        for table, requests in body.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    out.append((table, "Put", request["PutRequest"]["Item"]))
                else:
                    out.append((table, "Delete", request["DeleteRequest"]["Key"]))
        return out
    return []


WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})


def price(handler: Any, operation: str, body: Mapping[str, Any], run: Any) -> tuple[Any, Request]:
    """Run the request (``run()``) and price it; returns moto's response and the :class:`Request`."""
    backend = _Backend(handler)
    table = body.get("TableName") or ""
    request = Request(operation=operation, table=table)
    targets = _writes(operation, body)
    before = []
    for table_name, _, key_or_item in targets:
        key = backend.key_of(table_name, key_or_item)
        before.append((table_name, key, item_size(backend.get(table_name, key))))
    response = run()
    status, payload = _status_and_payload(response)
    if status >= 400:
        request.failed = str(payload.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP {status}"
    if operation in WRITE_OPERATIONS:
        factor = 2 if operation == "TransactWriteItems" else 1
        for table_name, key, size_before in before:
            size_after = item_size(backend.get(table_name, key))
            request.sizes.append((size_before, size_after))
            request.wcu += factor * write_units(size_before, size_after)
        request.items = len(before)
    elif operation in READ_OPERATIONS and status < 400:
        request.rcu, request.items = _read_price(backend, operation, body, payload)
    elif operation in READ_OPERATIONS:
        request.rcu = 0.0
    request.reported = _reported(payload)
    return response, request


def _read_price(
    backend: _Backend, operation: str, body: Mapping[str, Any], payload: Mapping[str, Any]
) -> tuple[float, int]:
    if operation == "GetItem":
        consistent = bool(body.get("ConsistentRead"))
        item = backend.get(body["TableName"], body["Key"])
        return read_units(item_size(item), consistent=consistent), 1
    if operation == "BatchGetItem":
        total, count = 0.0, 0
        for table_name, spec in body.get("RequestItems", {}).items():
            consistent = bool(spec.get("ConsistentRead"))
            unprocessed = {
                json.dumps(key, sort_keys=True)
                for key in payload.get("UnprocessedKeys", {}).get(table_name, {}).get("Keys", [])
            }
            for key in spec.get("Keys", []):
                if json.dumps(key, sort_keys=True) in unprocessed:
                    continue
                total += read_units(item_size(backend.get(table_name, key)), consistent=consistent)
                count += 1
        return total, count
    if operation == "TransactGetItems":
        total, count = 0.0, 0
        for entry in body.get("TransactItems", []):
            spec = entry["Get"]
            total += 2 * read_units(item_size(backend.get(spec["TableName"], spec["Key"])), consistent=True)
            count += 1
        return total, count
    # Query / Scan: every item read, at full size (a projection does not reduce the price)
    table_name = body["TableName"]
    consistent = bool(body.get("ConsistentRead"))
    size = 0
    items = payload.get("Items", [])
    for item in items:
        size += item_size(backend.get(table_name, backend.key_of(table_name, item)))
    return read_units(size, consistent=consistent), len(items)


def _status_and_payload(response: Any) -> tuple[int, dict[str, Any]]:
    """moto's handler answers ``(status, headers, body)`` or a body string."""
    status, body = 200, response
    if isinstance(response, tuple):
        status, body = int(response[0]), response[-1]
    try:
        payload = json.loads(body) if body else {}
    except (TypeError, ValueError):
        payload = {}
    return status, payload if isinstance(payload, dict) else {}


def _reported(payload: Mapping[str, Any]) -> float | None:
    consumed = payload.get("ConsumedCapacity")
    if isinstance(consumed, dict):
        consumed = [consumed]
    if not isinstance(consumed, list) or not consumed:
        return None
    return float(sum(float(entry.get("CapacityUnits") or 0) for entry in consumed if isinstance(entry, dict)))


# --- the meter ------------------------------------------------------------------------------------------


class CapacityMeter:
    """Prices the DynamoDB requests moto serves while a :meth:`measure` block is open (process-wide)."""

    _installed: CapacityMeter | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._scopes: list[Totals] = []

    # installing -----------------------------------------------------------------------------------------

    @classmethod
    def install(cls) -> CapacityMeter:
        """The process's meter, hooked into moto's DynamoDB handler (idempotent)."""
        from moto.dynamodb.responses import DynamoHandler

        from devstack.local_patches import make_dynamodb_atomic

        with cls._lock:
            if cls._installed is not None:
                return cls._installed
            make_dynamodb_atomic()
            meter = cls()
            atomic = DynamoHandler.call_action

            def _operation(handler: Any) -> str:
                target = handler.headers.get("X-Amz-Target") or handler.headers.get("x-amz-target") or ""
                return str(target).rsplit(".", 1)[-1]

            @functools.wraps(atomic)
            def call_action(self: Any) -> Any:
                if not meter._scopes:
                    return atomic(self)  # nobody is measuring: no pricing work
                operation = _operation(self)
                try:
                    body = json.loads(self.body or "{}")
                except ValueError:
                    return atomic(self)
                from devstack.local_patches import dynamodb_lock

                with dynamodb_lock():
                    response, request = price(self, operation, body, lambda: atomic(self))
                meter._record(request)
                return response

            call_action._atomic = True  # type: ignore[attr-defined]
            DynamoHandler.call_action = call_action  # type: ignore[method-assign]
            cls._installed = meter
            return meter

    # measuring ------------------------------------------------------------------------------------------

    def _record(self, request: Request) -> None:
        with self._lock:
            for scope in self._scopes:
                scope.requests.append(request)

    @contextmanager
    def measure(self) -> Iterator[Totals]:
        """Everything priced while the block runs (every thread: measure with nothing else running)."""
        scope = Totals()
        with self._lock:
            self._scopes.append(scope)
        try:
            yield scope
        finally:
            with self._lock:
                self._scopes.remove(scope)

    @staticmethod
    @contextmanager
    def client_steps(client: Any, *, latency_s: float = 0.005) -> Iterator[StepCounter]:
        """Count ``client``'s requests and sequential steps while the block runs.

        Each request is held ``latency_s`` longer (a network round trip): in-process moto answers in
        microseconds, one request at a time, so without it two requests issued side by side could still
        look sequential. With it, requests in flight together overlap, as they do against DynamoDB.
        """
        counter = StepCounter()
        events = client.meta.events
        ids = {name: f"meter-{name}-{id(counter)}" for name in ("start", "wire", "end", "error")}

        def on_the_wire(**_: Any) -> None:
            time.sleep(latency_s)

        events.register_first("before-send.dynamodb.*", counter.started, unique_id=ids["start"])
        events.register_last("before-send.dynamodb.*", on_the_wire, unique_id=ids["wire"])
        events.register("after-call.dynamodb.*", counter.ended, unique_id=ids["end"])
        events.register("after-call-error.dynamodb.*", counter.ended, unique_id=ids["error"])
        try:
            yield counter
        finally:
            events.unregister("before-send.dynamodb.*", unique_id=ids["start"])
            events.unregister("before-send.dynamodb.*", unique_id=ids["wire"])
            events.unregister("after-call.dynamodb.*", unique_id=ids["end"])
            events.unregister("after-call-error.dynamodb.*", unique_id=ids["error"])


class StepCounter:
    """Requests of one client and how many sequential steps they took (parallel requests: one step).

    A request's interval runs from its first send to its final answer (retries included: botocore's
    retry of one request is still one step). Steps are the longest chain of requests each of which
    started after the previous one ended: the turn's critical path in round trips.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, float] = {}
        self.intervals: list[tuple[float, float]] = []

    def started(self, request: Any = None, **_: Any) -> None:
        key = threading.get_ident()
        with self._lock:
            self._open.setdefault(key, time.perf_counter())

    def ended(self, **_: Any) -> None:
        key = threading.get_ident()
        with self._lock:
            start = self._open.pop(key, None)
            if start is not None:
                self.intervals.append((start, time.perf_counter()))

    @property
    def requests(self) -> int:
        return len(self.intervals)

    @property
    def steps(self) -> int:
        """The longest chain of non-overlapping requests (each starts after the previous one ended)."""
        chain_end = -math.inf
        count = 0
        for start, end in sorted(self.intervals, key=lambda interval: interval[1]):
            if start >= chain_end:
                count += 1
                chain_end = end
        return count
