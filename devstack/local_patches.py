"""Patches that make the local stack behave like AWS where our guarantees depend on it (moto, Powertools).

Real DynamoDB applies each request atomically: a conditional ``UpdateItem`` evaluates its condition and
writes in one step. moto evaluates and writes in plain Python with no lock, so two threads (or two
requests to ``ThreadedMotoServer``) can both pass the same condition. :func:`make_dynamodb_atomic`
serialises moto's DynamoDB request handling, restoring the one-request-at-a-time semantics the lease
lock relies on. It changes nothing else about moto. The same lock gives the local stack's persistence
its consistent moments: :func:`between_dynamodb_requests` holds every DynamoDB request back, so what
is read inside it is the tables after some request and before the next, never in the middle of one
(a ``TransactWriteItems`` is all there or not at all), and tells how many requests that may have
written have been applied so far (:func:`dynamodb_write_count`), so a reader can tell whether
anything changed since it last looked.
"""

from __future__ import annotations

import abc
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_DYNAMODB_LOCK = threading.RLock()

_READ_ONLY_ACTIONS = frozenset(
    {
        "BatchGetItem",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeLimits",
        "DescribeTable",
        "DescribeTimeToLive",
        "GetItem",
        "ListTables",
        "ListTagsOfResource",
        "Query",
        "Scan",
        "TransactGetItems",
    }
)
"""DynamoDB actions that never change a table; every other request counts as one that may have."""


class _WriteCount:
    """How many DynamoDB requests that may have written were handled (changed under the lock only)."""

    value = 0


def dynamodb_lock() -> threading.RLock:
    """The lock that serialises moto's DynamoDB requests (hold it to see the tables between requests)."""
    return _DYNAMODB_LOCK


def make_dynamodb_atomic() -> None:
    """Serialise moto's DynamoDB request handling (idempotent; safe to call many times)."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_atomic", False):
        return
    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            if self._get_action() not in _READ_ONLY_ACTIONS:
                _WriteCount.value += 1
            return original(self)

    call_action._atomic = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def dynamodb_write_count() -> int:
    """DynamoDB requests handled so far that may have changed a table (failed conditional writes count)."""
    return _WriteCount.value


@contextmanager
def between_dynamodb_requests() -> Iterator[int]:
    """Hold every DynamoDB request back while the block runs; yields :func:`dynamodb_write_count`.

    Inside, moto's tables are as the last request left them and no request can start: read them
    directly (in-process) for a consistent copy. Keep the block short, every caller waits on it.
    """
    make_dynamodb_atomic()
    with _DYNAMODB_LOCK:
        yield _WriteCount.value


def make_transactions_cheap() -> None:
    """Give moto's ``TransactWriteItems`` item-level rollback instead of whole-table deep copies.

    moto snapshots the *entire table* with ``copy.deepcopy`` once per item of every transaction, so a
    turn's commit gets slower (and hungrier) as the table grows: a table of 10,000 history items made
    each commit copy a million items. This keeps moto's own transaction logic and only changes what is
    saved for the rollback: the items the transaction touches (``TransactWriteItems`` can touch no
    others). Idempotent.
    """
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    if getattr(DynamoDBBackend.transact_write_items, "_cheap", False):
        return

    class _TableSharingCopy:
        """``copy`` for moto's transaction code: a Table 'copy' is the table itself."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _TableSharingCopy  # type: ignore[assignment,attr-defined]
    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Table, Any, Any, Any]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or op.get("Item") or {}
            if table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            item = copy.deepcopy(table.get_item(hash_value, range_value))
            saved.append((table, hash_value, range_value, item))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                if range_value is None:
                    if item is None:
                        table.items.pop(hash_value, None)
                    else:
                        table.items[hash_value] = item
                elif item is None:
                    table.items.get(hash_value, {}).pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = item
            raise

    transact_write_items._cheap = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def make_executions_repeatable() -> None:
    """Let a state machine start an execution while others exist (server mode).

    moto's Step Functions ``StartExecution`` deep-copies the whole state machine, including its list of
    executions; a finished or running execution holds a thread lock, so from the second execution on
    the copy fails with "cannot pickle '_thread.RLock' object" and the call answers 500. The copy only
    needs the definition: this copies the machine with its executions left out (and shared). Idempotent.
    """
    import copy

    from moto.stepfunctions.models import StateMachineInstance

    if getattr(StateMachineInstance, "_copy_without_executions", False):
        return

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for name, value in vars(self).items():
            setattr(clone, name, value if name == "executions" else copy.deepcopy(value, memo))
        return clone

    StateMachineInstance.__deepcopy__ = __deepcopy__  # type: ignore[attr-defined]
    StateMachineInstance._copy_without_executions = True  # type: ignore[attr-defined]


def make_powertools_router_per_thread() -> None:
    """Keep Powertools' current API event per thread, as each Lambda environment has its own.

    Powertools' REST resolver stores the request being resolved in a *class* attribute
    (``BaseRouter.current_event``): right in Lambda, where an environment serves one request at a
    time, but the local stack runs many requests of one function concurrently in one process, and
    one request could read another's event. This makes that attribute thread-local. Idempotent.
    """
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(BaseRouter, _PerThreadEventMeta):
        return
    if type(BaseRouter) is not abc.ABCMeta:  # pragma: no cover - a Powertools release changed its design
        raise RuntimeError("Powertools' BaseRouter is no longer an ABC; revisit this patch")
    type.__setattr__(BaseRouter, "current_event", _PerThreadEvent())
    BaseRouter.__class__ = _PerThreadEventMeta  # type: ignore[assignment]


_EVENTS = threading.local()


class _PerThreadEvent:
    """``self.current_event`` on a router instance: this thread's event."""

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return getattr(_EVENTS, "event", None)

    def __set__(self, instance: Any, value: Any) -> None:
        _EVENTS.event = value


def _class_get(cls: Any) -> Any:
    return getattr(_EVENTS, "event", None)


def _class_set(cls: Any, value: Any) -> None:
    _EVENTS.event = value


class _PerThreadEventMeta(abc.ABCMeta):
    """``BaseRouter.current_event = event`` (how Powertools sets it): this thread's event."""

    current_event = property(_class_get, _class_set)


def patch_local_stack() -> None:
    """Every patch above: what the tests, the local stack and the benchmark run with."""
    make_dynamodb_atomic()
    make_transactions_cheap()
    make_executions_repeatable()
    make_powertools_router_per_thread()
