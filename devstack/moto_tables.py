"""Copy moto's DynamoDB tables out, and back in, in place: what the local stack's persistence reads and fills.

moto keeps each table in memory in this process (``ThreadedMotoServer`` and ``mock_aws`` alike). A copy
is taken inside :func:`devstack.local_patches.between_dynamodb_requests`, so it shows the tables between
two requests: no request is half applied in it. Going through the DynamoDB API instead (``Scan``) would
not give that: every page is its own request and writes land between pages.

Items are in DynamoDB's JSON wire form (``{"pk": {"S": "a"}, "blob": {"B": "<base64>"}}``), the form
moto is given items in, so a copy puts back exactly what it took. The moto internals used are few:
the backend for an account and region, a table's ``items`` (hash key -> item, or hash key -> range
key -> item, in insertion order), an item's ``attrs`` of ``DynamoType`` (``.type``, ``.value``),
``Table.put_item`` and ``Table.stream_shard``. A copy holds every DynamoDB request back while it runs
(some 10 ms per 1,000 items of 1 KB, more on a busy machine), so it converts with as little as it can.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from devstack.local_patches import between_dynamodb_requests
from devstack.snapshot import Item


def _backend(account_id: str, region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account_id][region]


_SCALAR = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def _wire(value: Any) -> dict[str, Any]:
    """A moto ``DynamoType`` in the wire form (binary values base64, as the API sends them)."""
    kind = value.type
    if kind in _SCALAR:
        return {kind: value.value}
    if kind == "M":
        return {"M": {name: _wire(nested) for name, nested in value.value.items()}}
    if kind == "L":
        return {"L": [_wire(nested) for nested in value.value]}
    if kind == "B":
        return {"B": _base64(value.value)}
    return {"BS": [_base64(member) for member in value.value]}


def _base64(value: str | bytes) -> str:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def _items(table: Any) -> Iterator[Any]:
    """A moto table's items, in its own (insertion) order."""
    if table.range_key_attr:
        for by_range in table.items.values():
            yield from by_range.values()
    else:
        yield from table.items.values()


def copy_tables(
    account_id: str, region: str, table_names: Iterable[str]
) -> tuple[int, dict[str, list[Item]]]:
    """Every item of each table, between two requests; and the write count then.

    The count is :func:`devstack.local_patches.dynamodb_write_count` at the moment of the copy: a later
    copy with the same count holds the same items, in the same order.
    """
    names = list(table_names)
    with between_dynamodb_requests() as writes:
        backend = _backend(account_id, region)
        return writes, {
            name: [
                {attribute: _wire(value) for attribute, value in item.attrs.items()}
                for item in _items(backend.get_table(name))
            ]
            for name in names
        }


def put_items(account_id: str, region: str, items: Mapping[str, Sequence[Item]]) -> None:
    """Put ``items`` (by table name) into the tables, replacing any item with the same key.

    For filling freshly created tables before anything uses them: it counts as no request, adds no
    stream records (a restore is no change, as restoring a table in AWS is not), and raises (moto's
    validation error) on an item the table would not take, such as one without its keys.
    """
    with between_dynamodb_requests():
        backend = _backend(account_id, region)
        for name, table_items in items.items():
            table = backend.get_table(name)
            shard, table.stream_shard = table.stream_shard, None
            try:
                for item in table_items:
                    table.put_item(item)
            finally:
                table.stream_shard = shard
