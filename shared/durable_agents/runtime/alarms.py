"""Alarms: an object acts later, without a request (Durable Objects' ``setAlarm`` / ``alarm()``).

An object has at most one alarm: ``self.storage.set_alarm(when)`` (epoch ms or an aware datetime),
``get_alarm()``, ``delete_alarm()``. Setting or deleting it is part of the turn: it is written into the
object's STATE item by the turn's commit (``alarm``, ``alarm_shard``, ``alarm_retry``: see
``table.py``), so a turn that fails sets nothing and a committed turn's alarm cannot be lost.

Delivery, at least once:

- The **sweeper** (:class:`Sweeper`) finds due alarms in the table's sparse ``alarms`` index (only STATE
  items with an alarm are in it; keys only) and *fires* each: in AWS the AlarmSweeper function runs every
  minute and, for the rest of that minute, re-reads the index every few seconds and fires each alarm
  when it falls due, as an asynchronous invoke of the object host (so thousands due at once fan out to
  as many host invocations); the local stack's sweeper polls every quarter second and runs the turns in
  process.
- The **alarm turn** (``runtime.turn.run_alarm``) is an ordinary turn under the lease: it checks the
  STATE item's alarm is due (a late or repeated firing finds it cleared and does nothing, so the effect
  of one due time happens once), clears it, and calls the object's ``alarm(info)`` with
  :class:`AlarmInfo`. If ``alarm()`` raises, its writes are undone and the alarm is set again
  :func:`backoff_ms` later (2 s, 4 s, ... ), at most :data:`MAX_RETRIES` times, then dropped and logged.
  If an object it calls is busy (a chat turn holding the conversation it notifies), it yields after a
  second: its writes are undone and it runs again :func:`deferral_ms` later, its retry count unchanged.

**How far ahead.** An alarm is due at most :data:`MAX_AHEAD_DAYS` (366) days from now
(:func:`check_ahead`): setting one further ahead (a reminder in year 9999) is refused with
:class:`~durable_agents.runtime.errors.InvalidValue`, and so is a schedule that would be. A pending alarm
keeps its object from expiring (the TTL is the retention after the alarm), so without a limit an alarm
would keep its object, and everything it stores, for ever.

Why this engine (the README has the comparison): a sparse index swept each minute is written by the very
commit that sets the alarm (no outbox, nothing to clean up after a failed turn), costs one index write
when an alarm is set or cleared and a few index reads a minute, and has no per-account schedule quota;
its precision is the sweeper's re-read interval (seconds) while alarms are pending, at most a minute for
an alarm set while no sweeper is running.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import clock
from .errors import InvalidValue
from .lease import remaining_seconds
from .table import StateTable

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
FIRST_BACKOFF_MS = 2_000
MAX_AHEAD_DAYS = 366
"""How far ahead an alarm (or a schedule) may be due: a year and a day."""
MAX_AHEAD_MS = MAX_AHEAD_DAYS * 86_400_000


def check_ahead(due: int, now: int) -> int:
    """``due`` (epoch ms) if it is at most :data:`MAX_AHEAD_DAYS` after ``now``; else
    :class:`InvalidValue` (the alarm would keep its object for as long)."""
    if due > now + MAX_AHEAD_MS:
        raise InvalidValue(
            f"an alarm is due at most {MAX_AHEAD_DAYS} days ahead; "
            f"this one is {(due - now) // 86_400_000} days ahead"
        )
    return due


@dataclass(frozen=True, slots=True)
class AlarmInfo:
    """What ``alarm(info)`` is told: how many times this alarm has been tried and failed before."""

    retry_count: int = 0
    is_retry: bool = False


def backoff_ms(retry: int) -> int:
    """How long after the ``retry``-th failure (0-based) the alarm is tried again: 2 s, 4 s, 8 s, ..."""
    return int(FIRST_BACKOFF_MS * 2**retry)


def deferral_ms() -> int:
    """How long an alarm that yielded to a busy object waits before it runs again: 1 to 2 s (jittered,
    so two alarms that collided do not collide again in step)."""
    return 1_000 + random.randrange(1_000)


def alarm_event(pk: str) -> dict[str, Any]:
    """The object host's event that delivers the alarm of the object ``pk`` (``"<NS>#<hex id>"``)."""
    namespace, _, hex_id = pk.partition("#")
    return {"alarm": {"namespace": namespace, "id": hex_id}}


SWEEP_SECONDS = 55.0
"""How long one AlarmSweeper invocation (one a minute) watches for alarms falling due."""


def sweep_this_minute(env: Any) -> int:
    """The AlarmSweeper's work: fire what is due now and what falls due in the next
    :data:`SWEEP_SECONDS` (never past the invocation's own end), each as an asynchronous invoke of the
    object host. Returns how many alarms it fired."""
    import json

    host = env.settings.object_host_function
    client = env.lambda_client

    def fire(pk: str) -> None:
        client.invoke(FunctionName=host, InvocationType="Event", Payload=json.dumps(alarm_event(pk)).encode())

    seconds = min(SWEEP_SECONDS, max(0.0, remaining_seconds(SWEEP_SECONDS) - 5.0))
    return Sweeper(env.table, fire).run_for(seconds)


class Sweeper:
    """Finds due alarms and fires each once per due time it sees (firing may still repeat: the alarm
    turn makes a repeat harmless). ``fire(pk)`` delivers one alarm (an async invoke, or an in-process
    turn); fires run side by side on up to ``workers`` threads."""

    def __init__(self, table: StateTable, fire: Callable[[str], Any], *, workers: int = 32):
        self.table = table
        self.fire = fire
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alarm")
        self._lock = threading.Lock()
        self._in_flight: set[tuple[str, int]] = set()

    def sweep(self, *, lookahead_ms: int = 0) -> tuple[int, int | None]:
        """Fire every alarm due now; ``(how many fired, when the next one within lookahead is due)``."""
        now = clock.now_ms()
        fired = 0
        upcoming: int | None = None
        for pk, due in self.table.due_alarms(until=now + lookahead_ms):
            if due > now:
                upcoming = due if upcoming is None else min(upcoming, due)
                continue
            with self._lock:
                if (pk, due) in self._in_flight:
                    continue
                self._in_flight.add((pk, due))
            self._pool.submit(self._deliver, pk, due)
            fired += 1
        return fired, upcoming

    def run_for(
        self, seconds: float, *, reread_seconds: float = 5.0, stop: threading.Event | None = None
    ) -> int:
        """Sweep for ``seconds``: fire what is due, sleep until the next alarm due within the window
        (re-reading the index at least every ``reread_seconds``), and return early once nothing is due
        within it."""
        stop = stop or threading.Event()
        deadline = clock.now_ms() + int(seconds * 1000)
        fired = 0
        while not stop.is_set():
            left = deadline - clock.now_ms()
            if left <= 0:
                break
            count, upcoming = self.sweep(lookahead_ms=left)
            fired += count
            if upcoming is None and not count:
                break  # nothing else due before the next run
            wait_ms = min(left, int(reread_seconds * 1000), max(0, (upcoming or deadline) - clock.now_ms()))
            stop.wait(max(wait_ms, 10) / 1000)
        self.drain()
        return fired

    def drain(self) -> None:
        """Wait for the deliveries in flight."""
        self._pool.shutdown(wait=True)
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="alarm")

    def _deliver(self, pk: str, due: int) -> None:
        try:
            self.fire(pk)
        except Exception:  # noqa: BLE001 - the alarm stays set: the next sweep fires it again
            logger.warning("firing the alarm of %s failed; it stays due", pk, exc_info=True)
        finally:
            with self._lock:
                self._in_flight.discard((pk, due))
