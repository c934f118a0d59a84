"""Every DynamoDB attribute type comes back byte-identical through restarts of the local stack's tables.

A restart here is what ``make run`` does around its tables, in this process: a moto server with the
template's resources (``start_local_stack(server=True)``), :meth:`TablePersistence.restore` from the data
folder's snapshot, requests through boto3, :meth:`TablePersistence.close` writing the snapshot, the
server stopped; then again, from that snapshot. Each round reads the items through every request that
returns them (``GetItem``, ``Query``, ``Scan``, ``BatchGetItem``, ``TransactGetItems``, ``UpdateItem``
with ``ALL_NEW``, ``UPDATED_NEW`` and ``ALL_OLD``, ``DeleteItem`` with ``ALL_OLD``, a failed condition's
``ALL_OLD``) and compares them with the values first put, byte for byte, binary values nested in lists
and maps included. The restore used to hand moto binary values as base64 text, which ``UpdateItem``
returned as that text (the key filter of the runtime's STATE item: 88 bytes instead of 64), one more
base64 layer per restart.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devstack.moto_stack import LocalStack, start_local_stack
from devstack.moto_tables import copy_tables, moto_form
from devstack.persistence import DataFolder, TablePersistence
from devstack.snapshot import SnapshotError, TableItems, read_snapshot, write_snapshot

FILTER = bytes(range(0, 256, 4))
"""64 bytes like a key filter: NUL, 0xff-ish, not UTF-8, nothing base64 would leave alone."""

STATE = {
    "pk": {"S": "TYPES#1"},
    "sk": {"S": "STATE"},
    "own": {"B": FILTER},
    "empty": {"B": b""},
    "s": {"S": "text with \u00e9, \u2028 and \x00"},
    "n": {"N": "-12.5"},
    "big": {"N": "123456789012345678901234567890"},
    "ss": {"SS": ["a", "b\u00e9"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x00", b"\xff\xfe", b"AQI="]},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "null": {"NULL": True},
    "l": {
        "L": [
            {"B": b"\x01\x02\x80"},
            {"BS": [b"\x03", b"\x04"]},
            {"L": [{"B": b"\xfd"}, {"N": "7"}]},
            {"M": {"deep": {"B": b"\xfc\x00"}}},
            {"S": "x"},
            {"NULL": True},
        ]
    },
    "m": {
        "M": {
            "b": {"B": b"\xfe"},
            "bs": {"BS": [b"\x05"]},
            "l": {"L": [{"B": b"\x06"}, {"BOOL": False}]},
            "m": {"M": {"b": {"B": b"\x07" * 300}}},
            "ss": {"SS": ["z"]},
            "ns": {"NS": ["0"]},
        }
    },
}
"""Every attribute type, binary ones at the top level and nested in lists and maps."""

SPARE = {
    "pk": {"S": "TYPES#1"},
    "sk": {"S": "SPARE"},
    "b": {"B": bytes(range(256))},
    "l": {"L": [{"B": b"\x00" * 3}]},
}
"""Deleted (``ALL_OLD``) and put back in every round."""

KEY = {"pk": STATE["pk"], "sk": STATE["sk"]}
SPARE_KEY = {"pk": SPARE["pk"], "sk": SPARE["sk"]}
RESTARTS = 3


def normal(value: Any) -> Any:
    """An item or attribute value as boto3 returns it, sets in a fixed order (DynamoDB keeps none)."""
    if isinstance(value, dict):
        return {
            key: sorted(normal(member) for member in nested) if key in ("SS", "NS", "BS") else normal(nested)
            for key, nested in value.items()
        }
    if isinstance(value, list):
        return [normal(member) for member in value]
    return value


def wire(value: Any) -> Any:
    """An item as the snapshot holds it: every binary value as its base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: wire(nested) for key, nested in value.items()}
    if isinstance(value, list):
        return [wire(member) for member in value]
    return value


@contextmanager
def started(folder: DataFolder) -> Iterator[tuple[LocalStack, int]]:
    """The stack as ``make run`` starts it (tables restored), and how many items were restored; the
    snapshot is written when the block ends without an error, as Ctrl-C does."""
    with start_local_stack(server=True) as stack:
        persistence = TablePersistence(stack, folder)
        restored = persistence.restore()
        yield stack, restored
        persistence.close()


def check_every_read(stack: LocalStack, touched: int) -> None:
    """Every request that returns the items returns them as first put (``touched``: the counter the
    previous rounds' updates left)."""
    dynamodb = stack.client("dynamodb")
    table = stack.physical_id("StateTable")
    state = normal({**STATE, "touched": {"N": str(touched)}}) if touched else normal(STATE)
    spare = normal(SPARE)

    got = dynamodb.get_item(TableName=table, Key=KEY, ConsistentRead=True)["Item"]
    assert normal(got) == state
    assert got["own"]["B"] == FILTER and len(got["own"]["B"]) == 64
    queried = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": STATE["pk"]},
        ConsistentRead=True,
    )["Items"]
    assert [normal(item) for item in queried] == [spare, state]  # sorted by sk: SPARE, STATE
    scanned = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    assert sorted((normal(item) for item in scanned), key=lambda item: item["sk"]["S"]) == [spare, state]
    batch = dynamodb.batch_get_item(RequestItems={table: {"Keys": [KEY], "ConsistentRead": True}})
    assert [normal(item) for item in batch["Responses"][table]] == [state]
    transacted = dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": KEY}}])
    assert [normal(response["Item"]) for response in transacted["Responses"]] == [state]
    projected = dynamodb.get_item(
        TableName=table, Key=KEY, ProjectionExpression="own, bs, l[0], m.b", ConsistentRead=True
    )["Item"]
    assert normal(projected) == normal(
        {
            "own": STATE["own"],
            "bs": STATE["bs"],
            "l": {"L": [{"B": b"\x01\x02\x80"}]},
            "m": {"M": {"b": {"B": b"\xfe"}}},
        }
    )

    # what the runtime's acquire is: an UpdateItem returning ALL_NEW
    updated = dynamodb.update_item(
        TableName=table,
        Key=KEY,
        UpdateExpression="SET touched = :t",
        ExpressionAttributeValues={":t": {"N": str(touched + 1)}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    state = normal({**STATE, "touched": {"N": str(touched + 1)}})
    assert normal(updated) == state
    assert updated["own"]["B"] == FILTER
    copied = dynamodb.update_item(
        TableName=table,
        Key=KEY,
        UpdateExpression="SET copied = own, copied_l = l, copied_bs = bs",
        ReturnValues="UPDATED_NEW",
    )["Attributes"]
    assert normal(copied) == normal(
        {"copied": STATE["own"], "copied_l": STATE["l"], "copied_bs": STATE["bs"]}
    )
    old = dynamodb.update_item(
        TableName=table,
        Key=KEY,
        UpdateExpression="REMOVE copied, copied_l, copied_bs",
        ReturnValues="ALL_OLD",
    )["Attributes"]
    assert normal(old) == normal(
        {
            **STATE,
            "touched": {"N": str(touched + 1)},
            "copied": STATE["own"],
            "copied_l": STATE["l"],
            "copied_bs": STATE["bs"],
        }
    )
    with pytest.raises(ClientError) as refused:
        dynamodb.update_item(
            TableName=table,
            Key=KEY,
            UpdateExpression="SET touched = :t",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":t": {"N": "0"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert normal(refused.value.response["Item"]) == state

    deleted = dynamodb.delete_item(TableName=table, Key=SPARE_KEY, ReturnValues="ALL_OLD")["Attributes"]
    assert normal(deleted) == spare
    dynamodb.put_item(TableName=table, Item=SPARE)


def test_every_attribute_type_comes_back_byte_identical_through_several_restarts(tmp_path: Path) -> None:
    with DataFolder(tmp_path / "data") as folder:
        with started(folder) as (stack, restored):
            assert restored == 0
            dynamodb = stack.client("dynamodb")
            table = stack.physical_id("StateTable")
            dynamodb.put_item(TableName=table, Item=STATE)
            dynamodb.put_item(TableName=table, Item=SPARE)
            check_every_read(stack, touched=0)
        for restart in range(1, RESTARTS + 1):
            # the snapshot holds the items in the wire form: binary values as base64 of their bytes
            (saved,) = read_snapshot(folder.snapshot_path).tables.values()
            by_sk = {item["sk"]["S"]: item for item in saved.items}
            assert by_sk["STATE"] == wire({**STATE, "touched": {"N": str(restart)}})
            assert by_sk["SPARE"] == wire(SPARE)
            with started(folder) as (stack, restored):
                assert restored == 2
                check_every_read(stack, touched=restart)


def test_a_restore_puts_binary_values_in_as_moto_holds_them_from_a_request(tmp_path: Path) -> None:
    """What the restore puts into moto's table is what moto built from the ``PutItem`` of the item."""
    from moto.dynamodb.models import dynamodb_backends

    def internal(stack: LocalStack) -> list[dict[str, Any]]:
        table = dynamodb_backends[stack.values.account_id][stack.region].get_table(
            stack.physical_id("StateTable")
        )
        return [
            {name: held(value) for name, value in item.attrs.items()}
            for by_range in table.items.values()
            for item in by_range.values()
        ]

    def held(value: Any) -> Any:
        """A ``DynamoType`` as moto holds it, down to the Python type of every leaf."""
        if value.type == "L":
            return ["L", [held(nested) for nested in value.value]]
        if value.type == "M":
            return ["M", {name: held(nested) for name, nested in value.value.items()}]
        leaves = value.value if isinstance(value.value, list) else [value.value]
        return [value.type, [(type(leaf).__name__, leaf) for leaf in leaves]]

    with DataFolder(tmp_path / "data") as folder:
        with started(folder) as (stack, _):
            stack.client("dynamodb").put_item(TableName=stack.physical_id("StateTable"), Item=STATE)
            from_request = internal(stack)
        with started(folder) as (stack, restored):
            assert restored == 1
            assert internal(stack) == from_request


def test_a_snapshot_item_not_in_the_wire_form_is_refused_and_no_table_changes(tmp_path: Path) -> None:
    with DataFolder(tmp_path / "data") as folder:
        with started(folder) as (stack, _):
            name = stack.physical_id("StateTable")
            key_schema = [dict(key) for key in stack.template.tables["StateTable"].key_schema]
        good = wire(STATE)
        bad = {**wire(SPARE), "b": {"B": "not base64!"}}
        write_snapshot(
            folder.snapshot_path,
            {"StateTable": TableItems(name=name, key_schema=key_schema, items=[good, bad])},
        )
        with start_local_stack(server=True) as stack:
            with pytest.raises(SnapshotError, match="not in DynamoDB's wire form.*not base64"):
                TablePersistence(stack, folder).restore()
            assert stack.client("dynamodb").scan(TableName=name)["Items"] == []
        assert read_snapshot(folder.snapshot_path).item_count == 2  # left as it was


@pytest.mark.parametrize(
    "value",
    [
        {"B": "AAE"},
        {"B": b"\x00"},
        {"BS": ["AA==", 1]},
        {"L": [{"B": "%%"}]},
        {"X": "1"},
        {"S": "a", "N": "1"},
    ],
    ids=["unpadded", "bytes", "a set member not text", "nested", "unknown type", "two types"],
)
def test_a_value_not_in_the_wire_form_is_named(value: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        moto_form(value)


def test_a_copy_refuses_a_binary_value_moto_holds_as_text(tmp_path: Path) -> None:
    """Only a put that bypassed moto's request parsing stores binary values as text, and moto reads
    such a value back two ways: the copy says so rather than guess which bytes were meant."""
    from moto.dynamodb.models import dynamodb_backends

    with start_local_stack(server=True) as stack:
        name = stack.physical_id("StateTable")
        backend = dynamodb_backends[stack.values.account_id][stack.region]
        backend.put_item(name, {**KEY, "own": {"B": base64.b64encode(FILTER).decode()}})
        with pytest.raises(TypeError, match="binary value as str"):
            copy_tables(stack.values.account_id, stack.region, [name])
        json.dumps(copy_tables(stack.values.account_id, stack.region, [])[1])
