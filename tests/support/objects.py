"""Durable-object classes used by the runtime tests (bound as COUNTER, LEDGER, PINGER, PONGER)."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel

from durable_agents.runtime import DurableObject, rpc


class Tally(BaseModel):
    count: int = 0
    last_by: str = ""


class Counter(DurableObject):
    """Increments a count; can fail or stall mid-turn on request (for crash and takeover tests).

    A turn that stalls sets :attr:`holding` (when given) once it holds the lease and has buffered its
    writes, then waits for :attr:`stall`: tests order threads by these events, never by sleeping.
    """

    stall: threading.Event | None = None
    holding: threading.Event | None = None

    @rpc
    def increment(self, by: int = 1, who: str = "", fail: bool = False) -> int:
        tally = Tally.model_validate(self.storage.get("tally") or {})
        tally.count += by
        tally.last_by = who
        self.storage.put("tally", tally)
        self.storage.history.append({"by": by, "who": who})
        if fail:
            raise RuntimeError("injected failure after buffering writes")
        if Counter.stall is not None and who == "stall":
            if Counter.holding is not None:
                Counter.holding.set()
            Counter.stall.wait(10)
        return tally.count

    @rpc(read_only=True)
    def count(self) -> int:
        return (self.storage.get("tally") or {}).get("count", 0)

    @rpc(read_only=True)
    def sneaky_write(self) -> None:
        self.storage.put("x", 1)

    @rpc
    def noop(self, wait: float = 0.0) -> str:
        """Write nothing (optionally holding the lease a while: ``holding`` / ``stall`` as above)."""
        if Counter.stall is not None and wait:
            if Counter.holding is not None:
                Counter.holding.set()
            Counter.stall.wait(wait)
        return "ok"

    @rpc
    def fence(self) -> int:
        """The turn's fencing token."""
        return self.ctx.fence

    @rpc
    def extend(self, seconds: float, wait: float = 0.0) -> int | None:
        """Extend the lease, optionally hold it a while, and report the lease end seen by the turn."""
        self.ctx.extend_lease(seconds)
        if Counter.stall is not None and wait:
            if Counter.holding is not None:
                Counter.holding.set()
            Counter.stall.wait(wait)
        self.storage.put("extended", seconds)
        return self.ctx.lease_until

    @rpc
    def put_many(self, values: dict[str, Any]) -> int:
        self.storage.put(values)
        return len(values)

    @rpc
    def get(self, key: str) -> Any:
        return self.storage.get(key)

    @rpc
    def append(self, entries: list[Any]) -> int:
        for entry in entries:
            self.storage.history.append(entry)
        return len(self.storage.history)

    @rpc
    def recent(self, n: int) -> list[Any]:
        return self.storage.history.recent(n)

    @rpc
    def wipe(self) -> None:
        self.storage.delete_all()

    def not_rpc(self) -> str:
        return "hidden"


class Pinger(DurableObject):
    """Calls a PONGER, which may call back: the re-entrancy tests."""

    @rpc
    def ping(self, target: str, bounce: bool = False) -> str:
        pong = self.env.PONGER.get_by_name(target)
        return "ping>" + pong.pong(self.id.name, bounce)

    @rpc
    def touch(self) -> str:
        return "touched"


class Ponger(DurableObject):
    @rpc
    def pong(self, caller: str, bounce: bool) -> str:
        self.storage.put("last_caller", caller)
        if bounce:
            return "pong>" + self.env.PINGER.get_by_name(caller).touch()
        return "pong"


class Scratch(DurableObject):
    """Runs a script of storage operations in one turn, so tests can drive the storage API directly."""

    @rpc
    def run(self, ops: list[list[Any]]) -> list[Any]:
        return [self._op(op) for op in ops]

    @rpc(read_only=True)
    def peek(self, ops: list[list[Any]]) -> list[Any]:
        return [self._op(op) for op in ops]

    def _op(self, op: list[Any]) -> Any:
        name, *args = op
        storage = self.storage
        if name == "get":
            return storage.get(args[0])
        if name == "put":
            return storage.put(*args)
        if name == "delete":
            return storage.delete(args[0])
        if name == "list":
            return list(storage.list(**(args[0] if args else {})).items())
        if name == "delete_all":
            return storage.delete_all()
        if name == "append":
            return storage.history.append(args[0])
        if name == "history":
            return storage.history.list(**(args[0] if args else {}))
        if name == "len":
            return len(storage.history)
        if name == "txn_fail":
            def body(s: Any) -> None:
                s.put(args[0], args[1])
                s.history.append("in-txn")
                raise ValueError("abort")

            try:
                storage.transaction(body)
            except ValueError:
                return "rolled back"
        if name == "txn_ok":
            return storage.transaction(lambda s: s.put(args[0], args[1]) or "committed")
        if name == "raise":
            raise RuntimeError("script failed")
        raise AssertionError(f"unknown op {name}")
