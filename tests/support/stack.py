"""The local stack over real HTTP for the load, fault and bad-input tests.

:func:`http_stack` starts moto's ``ThreadedMotoServer`` with the template's resources
(``start_local_stack(server=True)``) and an :class:`~devstack.gateway.ApiGateway` on loopback, applies
the stack's environment to this process (so the handlers' ``default_env()`` and boto3 clients reach
moto), and undoes all of it afterwards. Use it for one module at a time: moto's backends are global,
so a ``mock_aws`` test running while the server stack is up would reset its tables.

:func:`serve` runs ``python -m devstack.serve`` (what ``make run`` runs) as a real subprocess on a free
port with a given data folder, for the tests of restarts, signals and load.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

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
def http_stack(
    parameters: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[HttpStack]:
    """The template's stack on a moto server plus the API on ``http://127.0.0.1:<free port>``."""
    patch_local_stack()
    quiet = {
        name: logging.getLogger(name).level for name in ("werkzeug", "devstack.gateway", "devstack.lambda")
    }
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


# --- python -m devstack.serve as a subprocess ------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
_READY = re.compile(
    r"durable-agents local stack ready on (?P<url>http://127\.0\.0\.1:\d+) \(moto on (?P<moto>http://127\.0\.0\.1:\d+)\)\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Lines:
    """The lines a process writes on stdout, read by a thread of their own ('' once it closed)."""

    def __init__(self, stream: IO[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put("")

    def next(self, timeout: float) -> str:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no line within {timeout} s") from None

    def rest(self, timeout: float = 30) -> str:
        """Everything up to the end of the stream (the process must be exiting)."""
        self._thread.join(timeout)
        text = []
        while not self._queue.empty():
            text.append(self._queue.get())
        return "".join(text)


class ServeFailed(Exception):
    """``devstack.serve`` exited before it was ready; ``returncode`` and ``stderr`` say why."""

    def __init__(self, returncode: int, stderr: str) -> None:
        super().__init__(f"devstack.serve exited {returncode}: {stderr}")
        self.returncode = returncode
        self.stderr = stderr


@dataclass
class ServedStack:
    """A running ``python -m devstack.serve``: its URLs, the line saying where its data lives, its log."""

    process: subprocess.Popen[str]
    url: str
    moto_url: str
    data_line: str
    log: IO[str]
    stdout: _Lines

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def dynamodb(self) -> Any:
        """A client of moto's DynamoDB in that process (fake credentials)."""
        import boto3

        return boto3.client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=self.moto_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self, signum: int = signal.SIGINT, timeout: float = 60) -> tuple[int, str]:
        """Send ``signum``, wait for the exit; the exit status and what it wrote on stderr."""
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            wrote = self.close()[-6000:]
            raise AssertionError(
                f"the stack did not stop within {timeout} s of signal {signum}; it wrote:\n{wrote}"
            ) from None
        return self.process.returncode, self.close()

    def close(self) -> str:
        """Kill it if it still runs, close its pipes; what it wrote on stderr ('' once closed)."""
        if self.log.closed:
            return ""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stdout.rest()
        if self.process.stdout:
            self.process.stdout.close()
        self.log.seek(0)
        text = self.log.read()
        self.log.close()
        return text


def serve(data: Path, *, environ: Mapping[str, str] | None = None, timeout: float = 120) -> ServedStack:
    """Start ``python -m devstack.serve`` on a free port keeping its tables in ``data``; ready to serve.

    Its stderr goes to a file beside ``data`` (the gateway logs every request there, a pipe nobody
    reads could fill up). Raises :class:`ServeFailed` if the process exits before its ready line.
    """
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    log = (data.parent / f"{data.name}-serve-{time.monotonic_ns()}.log").open("w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.serve"],
        cwd=ROOT,
        env={**clean, "PORT": str(free_port()), "DEVSTACK_DATA": str(data), **(environ or {})},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    lines = _Lines(process.stdout)

    def failed() -> str:
        return ServedStack(process, "", "", "", log, lines).close()

    try:
        ready = lines.next(timeout)
        found = _READY.fullmatch(ready)
        if found is None:
            process.wait(timeout=timeout)
            raise ServeFailed(process.returncode, ready + failed())
        data_line = lines.next(timeout)
    except TimeoutError:
        failed()
        raise
    return ServedStack(process, found.group("url"), found.group("moto"), data_line, log, lines)
