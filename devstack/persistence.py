"""The local stack's tables kept across restarts, in a data folder (``.devstack/`` at the repo root).

Layout of the data folder (``DEVSTACK_DATA`` moves it)::

    .devstack/
      tables.jsonl                  the last snapshot of every table (format: devstack.snapshot)
      .tables.jsonl.<pid>.tmp       a snapshot being written (left only by a writer that was killed)
      lock                          held (flock) by the stack using the folder; says its pid

:class:`DataFolder` finds the folder, takes its lock (one stack per folder: a second one would
overwrite the first one's snapshots) and resets it. :class:`TablePersistence` ties a running
:class:`~devstack.moto_stack.LocalStack` to the folder: :meth:`~TablePersistence.restore` puts the
snapshot's items into the freshly created tables (binary values as moto holds them: see
:mod:`devstack.moto_tables`), then a background thread saves a snapshot at most
once every ``interval`` seconds, and only when a DynamoDB request that may have written was handled
since the last one and the items differ; :meth:`~TablePersistence.close` saves a last one. After a
SIGKILL the snapshot on disk is at most about ``interval`` seconds old, and it is always whole: it
is copied between two DynamoDB requests (:mod:`devstack.moto_tables`) and replaced atomically
(:func:`devstack.snapshot.write_snapshot`).

What a snapshot holds is every item of every table the template declares, whatever their layout.
A snapshot that does not fit the template (a table gone, or with other keys) or that is damaged is
refused with :class:`~devstack.snapshot.SnapshotError`, and the file is left as it is: the stack
does not start over data it would then overwrite. ``RESET=1 make run`` or ``make reset`` start empty.

``python -m devstack.persistence reset`` (``make reset``) empties the data folder's snapshot.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Self

from devstack.local_patches import dynamodb_write_count
from devstack.moto_stack import LocalStack
from devstack.moto_tables import copy_tables, put_items
from devstack.snapshot import (
    Snapshot,
    SnapshotError,
    TableItems,
    encode_body,
    read_snapshot,
    temporary_files,
    write_snapshot,
)
from devstack.template import REPO_ROOT

DATA_ENV = "DEVSTACK_DATA"
"""Environment variable naming the data folder (relative paths are relative to the working folder)."""
RESET_ENV = "RESET"
"""``RESET=1``: start with empty tables (the snapshot is removed first)."""
DEFAULT_DATA_FOLDER = REPO_ROOT / ".devstack"
SNAPSHOT_FILE = "tables.jsonl"
LOCK_FILE = "lock"
SNAPSHOT_INTERVAL_SECONDS = 1.0
"""The most often a snapshot is written, and so about the most that a SIGKILL loses."""
_POLL_SECONDS = 0.05

LOGGER = logging.getLogger("devstack.persistence")


class DataFolderBusy(Exception):
    """Another process holds the data folder's lock."""


def reset_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether ``RESET`` asks for an empty start (``1``, ``true``, ``yes``; empty or ``0`` do not)."""
    return environ.get(RESET_ENV, "").strip().lower() in ("1", "true", "yes")


class DataFolder:
    """The folder the local stack keeps its tables in, and its lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[str] | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> DataFolder:
        """``$DEVSTACK_DATA`` if set (and not empty), else ``.devstack/`` at the repository root."""
        configured = environ.get(DATA_ENV, "").strip()
        return cls(Path(configured).expanduser().resolve() if configured else DEFAULT_DATA_FOLDER)

    @property
    def snapshot_path(self) -> Path:
        return self.path / SNAPSHOT_FILE

    def lock(self) -> None:
        """Create the folder and hold its lock until :meth:`unlock` (or the process ends, however)."""
        if self._lock is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        stream = (self.path / LOCK_FILE).open("a+", encoding="utf-8")
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                stream.close()
                raise
            stream.seek(0)
            holder = stream.read().strip() or "another process"
            stream.close()
            raise DataFolderBusy(
                f"{self.path} is in use by a running local stack (pid {holder}); stop it, or give this "
                f"one a folder of its own with {DATA_ENV}=<folder>"
            ) from None
        stream.seek(0)
        stream.truncate()
        stream.write(f"{os.getpid()}\n")
        stream.flush()
        self._lock = stream
        for leftover in temporary_files(self.snapshot_path):  # only a killed writer leaves these
            leftover.unlink(missing_ok=True)

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def reset(self) -> list[Path]:
        """Remove the snapshot (and any temporary file); the files removed. Needs the lock."""
        if self._lock is None:
            raise RuntimeError("lock the data folder before resetting it")
        removed = [
            path for path in [self.snapshot_path, *temporary_files(self.snapshot_path)] if path.exists()
        ]
        for path in removed:
            path.unlink()
        return removed

    def __enter__(self) -> Self:
        self.lock()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.unlock()


class TablePersistence:
    """The stack's tables saved to ``folder``'s snapshot and restored from it."""

    def __init__(
        self,
        stack: LocalStack,
        folder: DataFolder,
        *,
        interval: float = SNAPSHOT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stack = stack
        self.folder = folder
        self.interval = interval
        self._clock = clock
        self._tables = {
            logical_id: (stack.physical_id(logical_id), spec.key_schema)
            for logical_id, spec in stack.template.tables.items()
        }
        self._saved_writes: int | None = None
        self._saved_digest: str | None = None
        self._saved_at = float("-inf")
        self._save_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> Path:
        return self.folder.snapshot_path

    # -- restore

    def restore(self) -> int:
        """Put the snapshot's items into the (empty, just created) tables; how many. 0 without one.

        Raises SnapshotError, and changes no table, when the snapshot is damaged or does not fit the
        template's tables.
        """
        try:
            snapshot = read_snapshot(self.path)
        except FileNotFoundError:
            self._remember(dynamodb_write_count(), b"")
            return 0
        self._check_fits(snapshot)
        try:
            put_items(
                self.stack.values.account_id,
                self.stack.region,
                {self._tables[logical_id][0]: table.items for logical_id, table in snapshot.tables.items()},
            )
        except ValueError as error:  # put_items checks every item before it puts any
            raise SnapshotError(f"{self.path}: an item is not in DynamoDB's wire form ({error})") from None
        self._remember(dynamodb_write_count(), encode_body(self._ordered(snapshot.tables)))
        return snapshot.item_count

    def _check_fits(self, snapshot: Snapshot) -> None:
        for logical_id, table in snapshot.tables.items():
            if logical_id not in self._tables:
                raise SnapshotError(
                    f"{self.path}: holds table {logical_id}, which template.yaml no longer declares"
                )
            key_schema = [dict(key) for key in self._tables[logical_id][1]]
            if [dict(key) for key in table.key_schema] != key_schema:
                raise SnapshotError(
                    f"{self.path}: table {logical_id} was saved with keys {table.key_schema}, "
                    f"template.yaml now declares {key_schema}"
                )

    def _ordered(self, tables: Mapping[str, TableItems]) -> dict[str, TableItems]:
        return {logical_id: tables[logical_id] for logical_id in self._tables if logical_id in tables}

    # -- save

    def save(self) -> bool:
        """Write a snapshot if anything may have changed since the last; whether one was written."""
        with self._save_lock:
            if self._saved_writes == dynamodb_write_count():
                return False
            writes, copies = copy_tables(
                self.stack.values.account_id, self.stack.region, (name for name, _ in self._tables.values())
            )
            tables = {
                logical_id: TableItems(name=name, key_schema=key_schema, items=copies[name])
                for logical_id, (name, key_schema) in self._tables.items()
            }
            body = encode_body(tables)
            if hashlib.sha256(body).hexdigest() == self._saved_digest:
                self._saved_writes = writes
                return False
            write_snapshot(self.path, tables, body)
            self._remember(writes, body)
            self._saved_at = self._clock()
            return True

    def _remember(self, writes: int, body: bytes) -> None:
        """What is on disk now: the items as of ``writes`` writing requests, encoded as ``body``."""
        self._saved_writes = writes
        self._saved_digest = hashlib.sha256(body).hexdigest()

    def save_if_due(self) -> bool:
        """:meth:`save`, unless the last snapshot was written less than ``interval`` seconds ago."""
        if self._clock() - self._saved_at < self.interval:
            return False
        return self.save()

    def start(self) -> TablePersistence:
        """Save in a background thread until :meth:`close`."""
        self._thread = threading.Thread(target=self._run, name="devstack-snapshots", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.wait(_POLL_SECONDS):
            try:
                self.save_if_due()
            except Exception:  # a full disk, say: keep serving, say so, try again at the next change
                LOGGER.exception("cannot write %s", self.path)
                self._saved_at = self._clock()

    def close(self) -> None:
        """Stop the background thread and write the last snapshot (raises if it cannot be written)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.save()


def main(argv: list[str]) -> int:
    """``python -m devstack.persistence reset``: empty the data folder (``make reset``)."""
    if argv != ["reset"]:
        print("usage: python -m devstack.persistence reset", file=sys.stderr)
        return 2
    folder = DataFolder.from_environ()
    try:
        with folder:
            removed = folder.reset()
    except DataFolderBusy as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"removed {', '.join(str(path) for path in removed)}" if removed else f"{folder.path} holds no tables"
    )
    print("the next make run starts with empty tables")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
