"""The local stack's snapshot file: every item of every table, written atomically, checked when read.

A snapshot is a UTF-8 JSON Lines file (``tables.jsonl`` in the data folder)::

    {"format": "durable-agents-devstack-tables", "version": 1, "written_at": "2025-...Z",
     "tables": {"StateTable": {"name": "durable-agents-local-StateTable",
                               "key_schema": [{"AttributeName": "pk", "KeyType": "HASH"}, ...],
                               "items": 2}},
     "body_bytes": 123, "body_sha256": "<hex>"}
    {"table": "StateTable", "item": {"pk": {"S": "..."}, "sk": {"S": "..."}, ...}}
    {"table": "StateTable", "item": {...}}

The first line is the header: per table (by its logical id in ``template.yaml``) its physical name,
its key schema and how many items follow; then the length and SHA-256 of everything after the
header's newline (the body). Each body line is one item in DynamoDB's JSON wire form, as the
DynamoDB API sends it: binary values (``B``, ``BS`` members, at any depth) as base64 text, which
:mod:`devstack.moto_tables` turns back into the bytes moto holds. Items are opaque here: whatever the
runtime stores is kept as it is.

:func:`write_snapshot` writes to a temporary file in the same folder, ``fsync``\\ s it, renames it
over the snapshot and ``fsync``\\ s the folder: a reader sees the old snapshot or the new one, whole,
even after a crash or power loss. :func:`read_snapshot` checks the header, the body's length and
digest, and the item counts, and raises :class:`SnapshotError` saying what is wrong otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT: Final = "durable-agents-devstack-tables"
TEMP_SUFFIX = ".tmp"

Item = dict[str, Any]
"""One DynamoDB item in the wire form: attribute name -> ``{"S": "..."}``, ``{"N": "1"}``, ..."""


class SnapshotError(Exception):
    """The snapshot file cannot be used as it is (damaged, or written for other tables)."""


class TableHeader(BaseModel):
    """What the header says about one table."""

    model_config = ConfigDict(extra="forbid")

    name: str
    key_schema: list[dict[str, str]]
    items: int = Field(ge=0)


class SnapshotHeader(BaseModel):
    """The first line of a snapshot file."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["durable-agents-devstack-tables"]
    version: Literal[1]
    written_at: datetime
    tables: dict[str, TableHeader]
    body_bytes: int = Field(ge=0)
    body_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class _BodyLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    item: Item


@dataclass(frozen=True)
class TableItems:
    """One table's items and what identifies the table: its physical name and key schema."""

    name: str
    key_schema: Sequence[Mapping[str, str]]
    items: Sequence[Item]


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot holds: tables by logical id, and when it was written."""

    tables: Mapping[str, TableItems]
    written_at: datetime

    @property
    def item_count(self) -> int:
        return sum(len(table.items) for table in self.tables.values())


def encode_body(tables: Mapping[str, TableItems]) -> bytes:
    """The body of a snapshot of ``tables``: one line per item, in the order given.

    Two snapshots of the same items in the same order have the same body (keys are sorted), so
    comparing bodies (or their digests) tells whether anything changed.
    """
    lines = [
        json.dumps({"table": logical_id, "item": item}, sort_keys=True, separators=(",", ":"))
        for logical_id, table in tables.items()
        for item in table.items
    ]
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def write_snapshot(path: Path, tables: Mapping[str, TableItems], body: bytes | None = None) -> Snapshot:
    """Replace ``path`` with a snapshot of ``tables``, atomically and durably.

    ``body`` is :func:`encode_body` of ``tables`` when the caller has it already.
    """
    body = encode_body(tables) if body is None else body
    written_at = datetime.now(UTC)
    header = SnapshotHeader(
        format=FORMAT,
        version=1,
        written_at=written_at,
        tables={
            logical_id: TableHeader(
                name=table.name, key_schema=[dict(key) for key in table.key_schema], items=len(table.items)
            )
            for logical_id, table in tables.items()
        },
        body_bytes=len(body),
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with temporary.open("wb") as stream:
            stream.write(header.model_dump_json().encode("utf-8") + b"\n")
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return Snapshot(tables=tables, written_at=written_at)


def temporary_files(path: Path) -> list[Path]:
    """Temporary files :func:`write_snapshot` leaves beside ``path`` when it is killed mid-write."""
    return sorted(path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"))


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_snapshot(path: Path) -> Snapshot:
    """The snapshot in ``path`` (FileNotFoundError if there is none); SnapshotError if it is damaged."""
    data = path.read_bytes()
    header_line, newline, body = data.partition(b"\n")
    if not newline:
        raise SnapshotError(f"{path}: no header line (the file is {len(data)} bytes, cut short or not ours)")
    try:
        header = SnapshotHeader.model_validate_json(header_line)
    except ValidationError as error:
        raise SnapshotError(
            f"{path}: the header is not a snapshot header ({_first_problem(error)})"
        ) from None
    if len(body) != header.body_bytes:
        raise SnapshotError(
            f"{path}: the header announces {header.body_bytes} bytes of items, the file has {len(body)}"
        )
    if hashlib.sha256(body).hexdigest() != header.body_sha256:
        raise SnapshotError(f"{path}: the items do not match the header's SHA-256 (the file was changed)")
    items: dict[str, list[Item]] = {logical_id: [] for logical_id in header.tables}
    for number, line in enumerate(body.splitlines(), start=2):
        try:
            entry = _BodyLine.model_validate_json(line)
        except ValidationError as error:
            raise SnapshotError(f"{path}, line {number}: not an item ({_first_problem(error)})") from None
        if entry.table not in items:
            raise SnapshotError(f"{path}, line {number}: table {entry.table!r} is not in the header")
        items[entry.table].append(entry.item)
    for logical_id, table in header.tables.items():
        if len(items[logical_id]) != table.items:
            raise SnapshotError(
                f"{path}: table {logical_id} has {len(items[logical_id])} items, "
                f"the header says {table.items}"
            )
    return Snapshot(
        tables={
            logical_id: TableItems(name=table.name, key_schema=table.key_schema, items=items[logical_id])
            for logical_id, table in header.tables.items()
        },
        written_at=header.written_at,
    )


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])
