"""Copy moto's DynamoDB tables out, and back in, in place: what the local stack's persistence reads and fills.

moto keeps each table in memory in this process (``ThreadedMotoServer`` and ``mock_aws`` alike). A copy
is taken inside :func:`devstack.local_patches.between_dynamodb_requests`, so it shows the tables between
two requests: no request is half applied in it. Going through the DynamoDB API instead (``Scan``) would
not give that: every page is its own request and writes land between pages.

Two forms of an item meet here::

    wire form (the snapshot's, as the API sends it):  {"own": {"B": "AAEC..."}, "bs": {"BS": ["Aw=="]}}
    moto's form (what moto builds from a request):    {"own": {"B": b"\x00\x01..."}, "bs": {"BS": [b"\x03"]}}

moto parses a request with botocore, which decodes every binary value (``B``, each ``BS`` member, and
those nested in ``L`` and ``M``) to ``bytes``; only ``bytes`` read back right through every response
(``UpdateItem``'s ``ReturnValues`` serialises a top-level ``B`` or ``BS`` member as it is, so a
base64 ``str`` there comes back as its base64 text). :func:`copy_tables` turns moto's form into the
wire form and :func:`put_items` turns it back, binary values decoded at every depth, so what is put
back is what moto would have built from the ``PutItem`` of the item copied.

The moto internals used are few: the backend for an account and region, a table's ``items`` (hash key
-> item, or hash key -> range key -> item, in insertion order), an item's ``attrs`` of ``DynamoType``
(``.type``, ``.value``), ``Table.put_item`` and ``Table.stream_shard``. A copy holds every DynamoDB
request back while it runs (some 10 ms per 1,000 items of 1 KB, more on a busy machine), so it
converts with as little as it can.
"""

from __future__ import annotations

import base64
import binascii
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
    if kind == "BS":
        return {"BS": [_base64(member) for member in value.value]}
    raise TypeError(f"moto holds a value of unknown type {kind!r}")


def _base64(value: object) -> str:
    if not isinstance(value, bytes):
        # only a put that bypassed moto's request parsing stores anything else, and moto itself reads
        # such a value back two ways (as base64, and as the bytes of its text): no copy can say which
        raise TypeError(f"moto holds a binary value as {type(value).__name__}, not bytes")
    return base64.b64encode(value).decode("ascii")


def moto_form(value: Mapping[str, Any]) -> dict[str, Any]:
    """An attribute value in the wire form as moto holds it: every binary value decoded to ``bytes``.

    Args:
        value: one attribute value in the wire form, such as ``{"B": "AAE="}`` or ``{"L": [...]}``.

    Returns:
        The same value with ``B`` and each ``BS`` member as ``bytes``, in ``L`` and ``M`` too.

    Raises:
        ValueError: the value is not one attribute value, or a binary value is not base64.
    """
    if len(value) != 1:
        raise ValueError(f"an attribute value has one type, this one has {sorted(value)}")
    ((kind, data),) = value.items()
    if kind == "B":
        return {"B": _unbase64(data)}
    if kind == "BS":
        return {"BS": [_unbase64(member) for member in data]}
    if kind == "L":
        return {"L": [moto_form(nested) for nested in data]}
    if kind == "M":
        return {"M": {name: moto_form(nested) for name, nested in data.items()}}
    if kind in _SCALAR:
        return {kind: data}
    raise ValueError(f"unknown attribute type {kind!r}")


def _unbase64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"a binary value in the wire form is base64 text, not {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"a binary value is not base64: {text[:40]!r}") from None


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
    """Put ``items`` (by table name, in the wire form) into the tables, replacing any item with the same key.

    For filling freshly created tables before anything uses them: it counts as no request, adds no
    stream records (a restore is no change, as restoring a table in AWS is not), and puts each item in
    moto's form (:func:`moto_form`), as moto would have stored it from a ``PutItem``.

    Raises:
        ValueError: an item is not in the wire form (checked for every item before any is put).
        Exception: moto's validation error for an item the table would not take (one without its keys).
    """
    converted = {
        name: [{attribute: moto_form(value) for attribute, value in item.items()} for item in table_items]
        for name, table_items in items.items()
    }
    with between_dynamodb_requests():
        backend = _backend(account_id, region)
        for name, table_items in converted.items():
            table = backend.get_table(name)
            shard, table.stream_shard = table.stream_shard, None
            try:
                for item in table_items:
                    table.put_item(item)
            finally:
                table.stream_shard = shard
