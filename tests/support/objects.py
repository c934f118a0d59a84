"""Durable-object classes used by the runtime tests (bound in ``tests.conftest.TEST_BINDINGS``)."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel

from durable_agents.runtime import DurableObject, Scheduling, rpc


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


class Alarmed(DurableObject):
    """Sets its alarm on request; its ``alarm()`` counts deliveries and can fail on request."""

    @rpc
    def arm(self, when: int, fail_times: int = 0, then_raise: bool = False) -> int | None:
        self.storage.set_alarm(when)
        self.storage.put("fail_times", fail_times)
        if then_raise:
            raise RuntimeError("the turn that set the alarm failed")
        return self.storage.get_alarm()

    @rpc
    def disarm(self) -> None:
        self.storage.delete_alarm()

    @rpc(read_only=True)
    def seen(self) -> dict[str, Any]:
        return {
            "alarm": self.storage.get_alarm(),
            "fired": self.storage.get("fired") or 0,
            "infos": self.storage.get("infos") or [],
        }

    def alarm(self, info: Any) -> None:
        infos = (self.storage.get("infos") or []) + [[info.retry_count, info.is_retry]]
        self.storage.put("infos", infos)  # undone with the rest when this delivery fails
        if info.retry_count < (self.storage.get("fail_times") or 0):
            raise RuntimeError("alarm handler failed (injected)")
        self.storage.put("fired", (self.storage.get("fired") or 0) + 1)


class Planner(Scheduling):
    """Schedules its own method calls (the Agents SDK's schedule API) and records what ran."""

    @rpc
    def plan(self, when: Any, payload: Any = None) -> dict[str, Any]:
        return self.schedule(when, "note", payload)

    @rpc
    def plan_every(self, seconds: float, payload: Any = None) -> dict[str, Any]:
        return self.schedule_every(seconds, "note", payload)

    @rpc
    def plan_failing(self, when: Any) -> dict[str, Any]:
        return self.schedule(when, "explode", None)

    @rpc
    def cancel(self, schedule_id: str) -> bool:
        return self.cancel_schedule(schedule_id)

    @rpc(read_only=True)
    def schedules(self) -> list[dict[str, Any]]:
        return self.list_schedules()

    @rpc(read_only=True)
    def notes(self) -> list[Any]:
        return self.storage.get("notes") or []

    @rpc(read_only=True)
    def alarm_at(self) -> int | None:
        return self.storage.get_alarm()

    def note(self, payload: Any) -> None:
        self.storage.put("notes", (self.storage.get("notes") or []) + [payload])

    def explode(self, payload: Any) -> None:
        self.storage.put("notes", ["never kept"])
        raise ValueError("this schedule always fails")


class Desk(DurableObject):
    """The conversation of a lock-order test: ``chat`` holds the desk, then calls the watch joined;
    ``post`` is what the watch's alarm calls. Threads are ordered by :attr:`holding` / :attr:`go`."""

    holding: threading.Event | None = None
    go: threading.Event | None = None

    @rpc
    def chat(self, watch: str) -> str:
        if Desk.holding is not None and Desk.go is not None:
            Desk.holding.set()
            Desk.go.wait(10)
        self.storage.put("chats", (self.storage.get("chats") or 0) + 1)
        return str(self.env.WATCH.get_by_name(watch).call("work", join=True))

    @rpc
    def post(self, text: str) -> None:
        self.storage.put("posts", (self.storage.get("posts") or []) + [text])

    @rpc(read_only=True)
    def seen(self) -> dict[str, Any]:
        return {"chats": self.storage.get("chats") or 0, "posts": self.storage.get("posts") or []}


class Watch(DurableObject):
    """The travel agent of a lock-order test: its alarm holds the watch, then posts to the desk (joined),
    as a reminder does; ``work`` is what the desk's chat calls."""

    holding: threading.Event | None = None
    go: threading.Event | None = None

    @rpc
    def arm(self, when: int, desk: str) -> None:
        self.storage.set_alarm(when)
        self.storage.put("desk", desk)

    @rpc
    def work(self) -> int:
        self.storage.put("works", (self.storage.get("works") or 0) + 1)
        return int(self.storage.get("works"))

    @rpc(read_only=True)
    def seen(self) -> dict[str, Any]:
        return {"alarm": self.storage.get_alarm(), "infos": self.storage.get("infos") or []}

    def alarm(self, info: Any) -> None:
        self.storage.put("infos", (self.storage.get("infos") or []) + [[info.retry_count, info.is_retry]])
        if Watch.holding is not None and Watch.go is not None:
            Watch.holding.set()
            Watch.go.wait(10)
        self.env.DESK.get_by_name(self.storage.get("desk")).call("post", "reminder", join=True)
