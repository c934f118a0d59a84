"""The local stack keeps its tables across restarts (devstack.persistence, .snapshot and .moto_tables).

In-process tests cover the snapshot file (round trip, every kind of damage), the copy out of and back
into moto's tables (every attribute type), when a snapshot is written, and the data folder's lock and
reset. Subprocess tests run ``python -m devstack.serve`` for real, on free ports with a data folder in
``tmp_path``: restarts after SIGINT and SIGTERM, a SIGKILL in the middle of writes, RESET, and a
damaged snapshot. They read and write the tables through moto's endpoint with keys built from the
template's key schema: nothing here depends on the runtime's item layout.
"""

from __future__ import annotations

import base64
import http.client
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.moto_stack import LocalStack, start_local_stack
from devstack.moto_tables import copy_tables, put_items
from devstack.persistence import DataFolder, DataFolderBusy, TablePersistence, main, reset_requested
from devstack.snapshot import SnapshotError, TableItems, read_snapshot, temporary_files, write_snapshot
from devstack.template import SamTemplate
from tests.support.stack import ServedStack, ServeFailed, serve

TEMPLATE = SamTemplate.load()
ACCOUNT, REGION = "123456789012", "us-east-1"


def key_of(logical_id: str, n: int, group: str = "t") -> dict[str, Any]:
    """A key for table ``logical_id`` built from its key schema (whatever its attributes are)."""
    spec = TEMPLATE.tables[logical_id]
    types = {
        attribute["AttributeName"]: attribute["AttributeType"] for attribute in spec.attribute_definitions
    }
    values = {"S": f"{group}#{n:06d}", "N": str(n), "B": base64.b64encode(f"{group}{n}".encode()).decode()}
    return {
        key["AttributeName"]: {types[key["AttributeName"]]: values[types[key["AttributeName"]]]}
        for key in spec.key_schema
    }


def scan_all(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=str))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def every_table(client: Any, stack_name: str = "durable-agents-local") -> dict[str, list[dict[str, Any]]]:
    return {logical_id: scan_all(client, f"{stack_name}-{logical_id}") for logical_id in TEMPLATE.tables}


# --- the snapshot file ----------------------------------------------------------------------------

TABLES = {
    "StateTable": TableItems(
        name="t",
        key_schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        items=[
            {"pk": {"S": "a"}, "v": {"N": "1"}},
            {"pk": {"S": "b\n\u2028"}, "m": {"M": {"x": {"NULL": True}}}},
        ],
    ),
    "Other": TableItems(name="o", key_schema=[{"AttributeName": "id", "KeyType": "HASH"}], items=[]),
}


def test_a_snapshot_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "tables.jsonl"
    write_snapshot(path, TABLES)
    snapshot = read_snapshot(path)
    assert {name: list(table.items) for name, table in snapshot.tables.items()} == {
        name: list(table.items) for name, table in TABLES.items()
    }
    assert snapshot.tables["StateTable"].key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert snapshot.item_count == 2
    assert temporary_files(path) == []


def damage(kind: str, data: bytes) -> bytes:
    header, _, body = data.partition(b"\n")
    if kind == "cut in the body":
        return data[: len(header) + 1 + len(body) // 2]
    if kind == "cut in the header":
        return header[: len(header) // 2]
    if kind == "a byte changed":
        return header + b"\n" + body.replace(b'"1"', b'"2"')
    if kind == "an item removed (digest fixed)":
        return header.replace(b'"items":2', b'"items":1') + b"\n" + body.split(b"\n", 1)[1]
    if kind == "not ours":
        return b'{"hello": "world"}\n'
    if kind == "empty":
        return b""
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "cut in the body",
        "cut in the header",
        "a byte changed",
        "an item removed (digest fixed)",
        "not ours",
        "empty",
    ],
)
def test_a_damaged_snapshot_is_refused_saying_what_is_wrong(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "tables.jsonl"
    write_snapshot(path, TABLES)
    damaged = damage(kind, path.read_bytes())
    path.write_bytes(damaged)
    with pytest.raises(SnapshotError, match=str(path)):
        read_snapshot(path)
    assert path.read_bytes() == damaged  # left as it was


# --- moto's tables, copied out and back in --------------------------------------------------------

EVERY_TYPE = {
    "s": {"S": "text with \u00e9 and \x00"},
    "n": {"N": "-12.5e3"},
    "b": {"B": b"\x00\xffbinary"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "bool": {"BOOL": False},
    "null": {"NULL": True},
    "m": {"M": {"nested": {"B": b"\xfe"}, "list": {"L": [{"N": "1"}, {"B": b"\x03"}, {"M": {}}]}}},
    "l": {"L": [{"S": "x"}, {"L": [{"BOOL": True}]}]},
}


@pytest.fixture
def mock_stack() -> Iterator[LocalStack]:
    with start_local_stack(server=False) as stack:
        yield stack


def test_every_attribute_type_survives_a_copy_and_a_restore(mock_stack: LocalStack) -> None:
    dynamodb = mock_stack.client("dynamodb")
    table = mock_stack.physical_id("StateTable")
    for n in range(3):
        dynamodb.put_item(TableName=table, Item={**key_of("StateTable", n), **EVERY_TYPE})
    before = scan_all(dynamodb, table)

    _, copied = copy_tables(ACCOUNT, REGION, [table])
    json.dumps(copied)  # the copy is plain JSON
    for item in before:
        dynamodb.delete_item(TableName=table, Key={key: item[key] for key in key_of("StateTable", 0)})
    assert scan_all(dynamodb, table) == []
    put_items(ACCOUNT, REGION, copied)

    assert scan_all(dynamodb, table) == before
    assert before[0]["b"] == {"B": b"\x00\xffbinary"}


def test_a_copy_never_holds_half_a_transaction(mock_stack: LocalStack) -> None:
    """Copies taken while transactions of 25 items run see each transaction whole or not at all."""
    dynamodb = mock_stack.client("dynamodb")
    table = mock_stack.physical_id("StateTable")
    done = threading.Event()
    copying = threading.Event()

    def write() -> None:
        copying.wait(10)  # the writes start with the copies, never all done before the first one
        for group in range(40):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {**key_of("StateTable", n, f"g{group:03d}"), "g": {"N": str(group)}},
                        }
                    }
                    for n in range(25)
                ]
            )
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    copies = 0
    while not done.is_set():
        copying.set()
        _, copied = copy_tables(ACCOUNT, REGION, [table])
        sizes: dict[str, int] = {}
        for item in copied[table]:
            sizes[item["g"]["N"]] = sizes.get(item["g"]["N"], 0) + 1
        assert set(sizes.values()) <= {25}, sizes
        copies += 1
    writer.join()
    assert copies > 0


# --- when snapshots are written -------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[DataFolder]:
    with DataFolder(tmp_path / "data") as locked:
        yield locked


def test_a_snapshot_is_written_only_when_items_changed_and_at_most_once_an_interval(
    mock_stack: LocalStack, folder: DataFolder
) -> None:
    clock = FakeClock()
    persistence = TablePersistence(mock_stack, folder, interval=1.0, clock=clock)
    assert persistence.restore() == 0
    dynamodb = mock_stack.client("dynamodb")
    table = mock_stack.physical_id("StateTable")

    assert persistence.save_if_due() is False  # nothing written yet
    assert not persistence.path.exists()

    dynamodb.put_item(TableName=table, Item={**key_of("StateTable", 1), "v": {"N": "1"}})
    assert persistence.save_if_due() is True  # the first change after a quiet time: at once
    first = persistence.path.stat()

    dynamodb.put_item(TableName=table, Item={**key_of("StateTable", 2), "v": {"N": "2"}})
    clock.now += 0.5
    assert persistence.save_if_due() is False  # within the interval
    clock.now += 0.5
    assert persistence.save_if_due() is True
    assert read_snapshot(persistence.path).item_count == 2

    clock.now += 5
    second = persistence.path.stat()
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):  # a write request, no change
        dynamodb.put_item(
            TableName=table, Item=key_of("StateTable", 1), ConditionExpression="attribute_not_exists(v)"
        )
    dynamodb.get_item(TableName=table, Key=key_of("StateTable", 1))  # a read
    assert persistence.save_if_due() is False
    assert persistence.path.stat().st_mtime_ns == second.st_mtime_ns and second.st_ino != first.st_ino


def test_restore_puts_back_every_table_and_refuses_a_snapshot_for_other_tables(
    mock_stack: LocalStack, folder: DataFolder
) -> None:
    table = mock_stack.physical_id("StateTable")
    spec = TEMPLATE.tables["StateTable"]
    items = [{**key_of("StateTable", n), "v": {"S": "x"}} for n in range(5)]
    write_snapshot(folder.snapshot_path, {"StateTable": TableItems(table, spec.key_schema, items)})
    persistence = TablePersistence(mock_stack, folder)
    assert persistence.restore() == 5
    assert len(scan_all(mock_stack.client("dynamodb"), table)) == 5
    assert persistence.save() is False  # what was restored is what is on disk: no rewrite

    other_keys = [{"AttributeName": "id", "KeyType": "HASH"}]
    for tables, problem in [
        ({"StateTable": TableItems(table, other_keys, [])}, "was saved with keys"),
        ({"GoneTable": TableItems("gone", other_keys, [])}, "no longer declares"),
    ]:
        write_snapshot(folder.snapshot_path, tables)
        kept = folder.snapshot_path.read_bytes()
        with pytest.raises(SnapshotError, match=problem):
            TablePersistence(mock_stack, folder).restore()
        assert folder.snapshot_path.read_bytes() == kept


# --- the data folder ------------------------------------------------------------------------------


def test_one_stack_per_data_folder(tmp_path: Path) -> None:
    busy = r"in use by a running local stack \(pid \d+\).*DEVSTACK_DATA"
    with DataFolder(tmp_path / "data"), pytest.raises(DataFolderBusy, match=busy):
        DataFolder(tmp_path / "data").lock()
    with DataFolder(tmp_path / "data"):  # free again
        pass


def test_locking_removes_what_a_killed_writer_left_and_keeps_the_snapshot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_snapshot(data / "tables.jsonl", TABLES)
    leftover = data / ".tables.jsonl.4242.tmp"
    leftover.write_bytes(b'{"format": "durable-agents-devstack-tables", "vers')
    with DataFolder(data) as folder:
        assert not leftover.exists()
        assert read_snapshot(folder.snapshot_path).item_count == 2


def test_make_reset_empties_the_folder_unless_a_stack_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("DEVSTACK_DATA", str(data))
    data.mkdir()
    write_snapshot(data / "tables.jsonl", TABLES)
    with DataFolder(data):
        assert main(["reset"]) == 1
    assert "in use" in capsys.readouterr().err
    assert (data / "tables.jsonl").exists()

    assert main(["reset"]) == 0
    assert not (data / "tables.jsonl").exists()
    assert f"removed {data / 'tables.jsonl'}" in capsys.readouterr().out
    assert main(["reset"]) == 0
    assert "holds no tables" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "reset"), [("1", True), ("true", True), ("yes", True), ("", False), ("0", False)]
)
def test_reset_is_asked_with_reset_1(value: str, reset: bool) -> None:
    assert reset_requested({"RESET": value}) is reset


# --- the real local stack, restarted --------------------------------------------------------------


def chat(served: ServedStack, message: str, session: str) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    body = json.dumps({"message": message, "sessionId": session, "userId": "u1"})
    connection.request("POST", "/chat", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = json.loads(response.read())
    assert response.status == 200, payload
    return payload


def get_json(served: ServedStack, path: str) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    connection.request("GET", path, headers={"X-User-Id": "u1"})
    response = connection.getresponse()
    assert response.status == 200
    return json.loads(response.read())


def stopped(served: ServedStack, signum: int = signal.SIGINT) -> None:
    """Stop ``served`` with ``signum`` (Ctrl-C by default), checking that it saved its tables."""
    try:
        returncode, log = served.stop(signum)
    finally:
        served.close()
    assert returncode == 0, log
    assert "tables saved to" in log


TRIP = {"destination": "Kyoto", "origin": "Osaka", "month": 4, "durationDays": 3}
"""What the two turns of the issue's scenario leave in the session's slots."""


def trip_of(slots: dict[str, Any]) -> dict[str, Any]:
    return {
        "destination": (slots.get("destination") or {}).get("name"),
        "origin": (slots.get("origin") or {}).get("name"),
        "month": slots.get("month"),
        "durationDays": slots.get("durationDays"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_every_session_survives_a_restart(tmp_path: Path, signum: int) -> None:
    """The transcript *and* the state the next turns read: a trip planned in two turns is still the trip
    after a restart (the turn after it answers for Kyoto, and leaves the slots as they were), and after
    a second one. The restore once gave the STATE item's key filter back as its base64 text: the turns
    then took the slots for absent (asked "Which city?") and wrote them back empty."""
    data = tmp_path / "data"
    served = serve(data)
    try:
        chat(served, "Plan a trip to Kyoto", "s1")
        chat(served, "from Osaka, 3 days in April", "s1")
        chat(served, "Weather in Tokyo next week?", "s2")
        tables = every_table(served.dynamodb())
        conversation = get_json(served, "/sessions/s1?limit=100")
        listed = get_json(served, "/sessions")
    finally:
        stopped(served, signum)
    assert sum(len(items) for items in tables.values()) > 0
    assert trip_of(conversation["slots"]) == TRIP

    served = serve(data)
    try:
        count = sum(len(items) for items in tables.values())
        assert served.data_line.startswith(f"data in {data}/ ({count} items restored;")
        assert every_table(served.dynamodb()) == tables
        assert get_json(served, "/sessions/s1?limit=100") == conversation
        assert get_json(served, "/sessions") == listed
        answer = chat(served, "hotels please", "s1")  # the session goes on where it was
        assert answer["sessionId"] == "s1" and answer["type"] == "answer", answer["content"]
        assert answer["content"].startswith("Hotels in Kyoto"), answer["content"]
        after = get_json(served, "/sessions/s1?limit=100")
        assert after["slots"] == conversation["slots"]
        assert after["plan"] == conversation["plan"]
        assert after["turns"][: len(conversation["turns"])] == conversation["turns"]
        assert len(after["turns"]) == len(conversation["turns"]) + 2
    finally:
        stopped(served, signum)

    served = serve(data)  # a second restart: nothing adds up from one restart to the next
    try:
        assert get_json(served, "/sessions/s1?limit=100") == after
        answer = chat(served, "make it 4 people", "s1")
        assert answer["data"]["slots"]["travellers"]["adults"] == 4
        assert trip_of(answer["data"]["slots"]) == TRIP
        again = get_json(served, "/sessions/s1?limit=100")
        assert trip_of(again["slots"]) == TRIP and again["slots"]["travellers"]["adults"] == 4
        assert again["turns"][: len(after["turns"])] == after["turns"]
    finally:
        stopped(served)
    served = serve(data)
    try:
        assert get_json(served, "/sessions/s1?limit=100") == again
    finally:
        served.close()


GROUP_SIZE = 25
LOSS_BOUND_SECONDS = 2.0
"""The snapshot interval (1 s) plus a margin for a busy 2-core machine: writes older than this survive."""
WRITE_SECONDS = 2 * LOSS_BOUND_SECONDS
"""How long the writes run before the kill: the first half of them must all survive."""


@pytest.mark.slow
def test_a_sigkill_loses_at_most_the_last_second_and_never_half_a_request(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data)
    table = "durable-agents-local-StateTable"
    acknowledged: list[float] = []
    stop = threading.Event()
    enough = threading.Event()
    client = served.dynamodb()

    def write() -> None:
        group = 0
        while not stop.is_set():
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {
                                    **key_of("StateTable", n, f"g{group:05d}"),
                                    "group": {"N": str(group)},
                                },
                            }
                        }
                        for n in range(GROUP_SIZE)
                    ]
                )
            except Exception:  # noqa: BLE001 - the process was killed under the request
                return
            acknowledged.append(time.monotonic())
            group += 1
            if acknowledged[-1] - acknowledged[0] >= WRITE_SECONDS:
                enough.set()

    writer = threading.Thread(target=write)
    try:
        writer.start()
        assert enough.wait(120), "the writes did not get going"
        served.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        served.process.wait(30)
        stop.set()
        writer.join(60)
    finally:
        stop.set()
        served.close()

    served = serve(data)
    try:
        items = scan_all(served.dynamodb(), table)
    finally:
        served.close()
    sizes: dict[int, int] = {}
    for item in items:
        group = int(item["group"]["N"])
        sizes[group] = sizes.get(group, 0) + 1
    assert set(sizes.values()) <= {GROUP_SIZE}, f"a transaction restored in part: {sizes}"
    kept = len(sizes)
    assert sorted(sizes) == list(range(kept)), "the restored transactions are not the first ones"
    assert kept <= len(acknowledged) + 1  # the one in flight may have been applied, unanswered
    old_enough = sum(1 for at in acknowledged if at <= killed_at - LOSS_BOUND_SECONDS)
    assert old_enough > 0
    assert kept >= old_enough, f"{old_enough} writes were older than {LOSS_BOUND_SECONDS} s, {kept} kept"
    print(
        f"{len(acknowledged)} transactions acknowledged, {kept} restored, {old_enough} older than the bound"
    )


@pytest.mark.slow
def test_reset_starts_empty(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data)
    try:
        chat(served, "Plan a trip to Rome", "s1")
        assert served.stop()[0] == 0
    finally:
        served.close()
    assert read_snapshot(data / "tables.jsonl").item_count > 0

    served = serve(data, environ={"RESET": "1"})
    try:
        assert served.data_line.startswith(f"data in {data}/ (started empty: RESET;")
        assert all(items == [] for items in every_table(served.dynamodb()).values())
        assert served.stop()[0] == 0
    finally:
        served.close()

    served = serve(data)  # and it stays empty: the reset removed the snapshot
    try:
        assert served.data_line.startswith(f"data in {data}/ (0 items restored;")
    finally:
        served.close()


@pytest.mark.slow
def test_a_damaged_snapshot_stops_the_stack_with_a_message_and_is_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data)
    try:
        chat(served, "Plan a trip to Rome", "s1")
        assert served.stop()[0] == 0
    finally:
        served.close()
    snapshot = data / "tables.jsonl"
    damaged = snapshot.read_bytes()[:-100]  # cut short
    snapshot.write_bytes(damaged)

    with pytest.raises(ServeFailed) as failure:
        serve(data)
    assert failure.value.returncode == 1
    assert f"cannot restore the local stack's tables: {snapshot}" in failure.value.stderr
    assert "RESET=1 make run" in failure.value.stderr
    assert snapshot.read_bytes() == damaged

    served = serve(data, environ={"RESET": "1"})
    served.close()
