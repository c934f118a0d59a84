"""Schedules on top of the one alarm (the Agents SDK's ``schedule`` / ``scheduleEvery`` / ``cancelSchedule``).

A :class:`Scheduling` object keeps any number of schedules and points its alarm at the earliest; its
``alarm()`` runs every schedule that is due. Storage (the object's own):

``schedule:<id>``
    ``{id, method, payload, kind: "once" | "every" | "cron", due (epoch ms), every? (seconds), cron?,
    status: "pending" | "failed", retries, error?, createdAt, lastRunAt?}``
``schedules``
    ``{id: due}`` of the pending schedules (what the alarm is set from, without reading every schedule).

- ``schedule(when, method, payload)``: ``when`` is a delay in seconds, an aware ``datetime``, or a cron
  string (five fields, UTC), at most :data:`~durable_agents.runtime.alarms.MAX_AHEAD_DAYS` ahead (else
  :class:`InvalidValue`, as for any alarm); ``schedule_every(seconds, method, payload)``. The id is
  derived from what was asked (kind, time or interval or cron, method, payload), so asking again (on
  every wake, say) finds the schedule that exists instead of adding a second: it is returned as it is.
- Delivery: ``alarm()`` calls ``self.<method>(payload)`` for each due schedule, in due order, each in a
  storage transaction; its writes and the schedule's advance commit together, so each (schedule, due
  time) takes effect once even though delivery is at least once. A schedule that was due while the
  object was busy or its host down runs once when the alarm comes (not once per missed interval). A
  callback may end its own schedule (``cancel_schedule``: a watch that saw what it waited for). A
  callback that finds an object it calls busy makes the whole alarm yield (it runs again in a moment,
  nothing counted; see ``runtime.turn``). A callback that raises anything else is retried 2 s, 4 s, ...
  later (at most :data:`MAX_RETRIES` times), then marked ``failed``: it stays visible in
  ``list_schedules()`` (with the error) and is logged, never silently dropped.

Cron times come from ``cronsim`` (small, pure Python, maintained), not written here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from . import clock
from .alarms import AlarmInfo, backoff_ms, check_ahead
from .errors import InvalidValue, ObjectBusy
from .objects import DurableObject

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
MAX_SCHEDULES = 100
MIN_INTERVAL_SECONDS = 1.0
PREFIX = "schedule:"
INDEX = "schedules"


def next_cron(expression: str, after_ms: int) -> int:
    """The first time (epoch ms) after ``after_ms`` that the cron ``expression`` (UTC) names."""
    from cronsim import CronSim, CronSimError

    start = datetime.fromtimestamp(after_ms / 1000, UTC).replace(second=0, microsecond=0)
    try:
        times = CronSim(expression, start)
        moment = next(times)
        while int(moment.timestamp() * 1000) <= after_ms:  # the start minute itself may match
            moment = next(times)
    except (CronSimError, StopIteration) as error:
        raise InvalidValue(
            f"not a cron expression this runtime can schedule: {expression!r} ({error})"
        ) from None
    return int(moment.timestamp() * 1000)


def _schedule_id(kind: str, spec: Any, method: str, payload: Any) -> str:
    text = json.dumps([kind, spec, method, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class Scheduling(DurableObject):
    """A durable object with schedules (see the module documentation). Its ``alarm`` is theirs: an
    object that schedules does not set its alarm itself."""

    # --- asking ---------------------------------------------------------------------------------------

    def schedule(
        self, when: float | int | datetime | str, method: str, payload: Any = None
    ) -> dict[str, Any]:
        """Run ``self.<method>(payload)`` once, at ``when`` (seconds from now, an aware datetime), or
        whenever the cron string ``when`` names. Returns the schedule (the existing one if asked before)."""
        now = clock.now_ms()
        spec: str | int
        if isinstance(when, str):
            kind, spec, due = "cron", when.strip(), next_cron(when.strip(), now)
        elif isinstance(when, datetime):
            if when.tzinfo is None:
                raise InvalidValue("a schedule's time must be timezone-aware")
            kind = "once"
            due = int(when.timestamp() * 1000)
            spec = due
        elif isinstance(when, (int, float)) and not isinstance(when, bool) and when >= 0:
            kind, due = "once", now + int(when * 1000)
            spec = due
        else:
            raise InvalidValue(
                f"a schedule's time is a delay in seconds, a datetime or a cron string, got {when!r}"
            )
        return self._add(kind, spec, method, payload, due, cron=spec if kind == "cron" else None)

    def schedule_every(self, seconds: float, method: str, payload: Any = None) -> dict[str, Any]:
        """Run ``self.<method>(payload)`` every ``seconds`` (the first time ``seconds`` from now)."""
        if (
            not isinstance(seconds, (int, float))
            or isinstance(seconds, bool)
            or seconds < MIN_INTERVAL_SECONDS
        ):
            raise InvalidValue(f"an interval is at least {MIN_INTERVAL_SECONDS} seconds")
        return self._add(
            "every", seconds, method, payload, clock.now_ms() + int(seconds * 1000), every=seconds
        )

    def cancel_schedule(self, schedule_id: str) -> bool:
        """Forget a schedule; whether there was one."""
        if self.storage.get(PREFIX + schedule_id) is None:
            return False
        self.storage.delete(PREFIX + schedule_id)
        index = self._index()
        index.pop(schedule_id, None)
        self._save_index(index)
        return True

    def get_schedule(self, schedule_id: str) -> dict[str, Any] | None:
        record: dict[str, Any] | None = self.storage.get(PREFIX + schedule_id)
        return record

    def list_schedules(self) -> list[dict[str, Any]]:
        """Every schedule, pending (earliest first) then failed."""
        records = list(self.storage.list(prefix=PREFIX).values())
        return sorted(records, key=lambda r: (r["status"] != "pending", r["due"]))

    # --- delivery -------------------------------------------------------------------------------------

    def alarm(self, info: AlarmInfo) -> None:
        """Run each due schedule (see the module documentation), then point the alarm at the next."""
        now = clock.now_ms()
        index = self._index()
        for schedule_id, due in sorted(index.items(), key=lambda entry: entry[1]):
            if due > now:
                break
            record = self.storage.get(PREFIX + schedule_id)
            if record is None or record.get("status") != "pending":
                index.pop(schedule_id, None)
                continue
            index.pop(schedule_id)
            self._deliver(record, index, now)
        self._save_index(index)

    def _deliver(self, record: dict[str, Any], index: dict[str, int], now: int) -> None:
        callback = getattr(self, record["method"], None)
        try:
            if not callable(callback) or record["method"].startswith("_"):
                raise AttributeError(f"{type(self).__name__} has no method {record['method']!r}")
            self.storage.transaction(lambda _: callback(record.get("payload")))
        except ObjectBusy:
            raise  # an object it calls is busy: the whole alarm yields and runs again (not a failure)
        except Exception as error:  # noqa: BLE001 - a failing schedule is retried, then marked failed
            retries = record.get("retries", 0) + 1
            record = {**record, "retries": retries, "error": f"{type(error).__name__}: {error}"[:500]}
            if retries > MAX_RETRIES:
                record["status"] = "failed"
                logger.error(
                    "schedule %s (%s) of %s failed %d times; marked failed",
                    record["id"],
                    record["method"],
                    self.id.label,
                    retries,
                )
            else:
                record["due"] = now + backoff_ms(retries - 1)
                index[record["id"]] = record["due"]
            self.storage.put(PREFIX + record["id"], record)
            return
        if self.storage.get(PREFIX + record["id"]) is None:
            return  # the callback cancelled its own schedule (a watch that has seen what it waited for)
        record = {**record, "retries": 0, "lastRunAt": now}
        record.pop("error", None)
        if record["kind"] == "once":
            self.storage.delete(PREFIX + record["id"])
            return
        if record["kind"] == "every":
            step = int(record["every"] * 1000)
            missed = max(0, (now - record["due"]) // step)
            record["due"] += step * (missed + 1)  # missed intervals are not run again: once, then onwards
        else:
            record["due"] = next_cron(record["cron"], now)
        index[record["id"]] = record["due"]
        self.storage.put(PREFIX + record["id"], record)

    # --- the index and the alarm ----------------------------------------------------------------------

    def _add(self, kind: str, spec: Any, method: str, payload: Any, due: int, **extra: Any) -> dict[str, Any]:
        if not isinstance(method, str) or method.startswith("_") or not callable(getattr(self, method, None)):
            raise InvalidValue(f"{type(self).__name__} has no method {method!r} to schedule")
        check_ahead(due, clock.now_ms())  # a schedule's first run is an alarm: the same limit
        schedule_id = _schedule_id(kind, spec, method, payload)
        existing: dict[str, Any] | None = self.storage.get(PREFIX + schedule_id)
        if existing is not None and existing.get("status") == "pending":
            return existing
        index = self._index()
        if len(index) >= MAX_SCHEDULES:
            raise InvalidValue(f"an object keeps at most {MAX_SCHEDULES} pending schedules")
        record: dict[str, Any] = {
            "id": schedule_id,
            "method": method,
            "payload": payload,
            "kind": kind,
            "due": due,
            "status": "pending",
            "retries": 0,
            "createdAt": clock.now_ms(),
            **{k: v for k, v in extra.items() if v is not None},
        }
        self.storage.put(PREFIX + schedule_id, record)
        index[schedule_id] = due
        self._save_index(index)
        return record

    def _index(self) -> dict[str, int]:
        index: dict[str, int] = self.storage.get(INDEX) or {}
        return dict(index)

    def _save_index(self, index: dict[str, int]) -> None:
        if index != (self.storage.get(INDEX) or {}):
            if index:
                self.storage.put(INDEX, index)
            else:
                self.storage.delete(INDEX)
        due = min(index.values()) if index else None
        if due is None:
            self.storage.delete_alarm()
        elif self.storage.get_alarm() != due:
            self.storage.set_alarm(due)
