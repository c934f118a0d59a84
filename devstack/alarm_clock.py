"""The local stack's alarm clock: fires due alarms in process, within a second of their time.

AWS runs the AlarmSweeper function every minute (``runtime/alarms.py``); ``make run`` has no scheduler,
so this thread does the same sweep every :data:`TICK_SECONDS` and delivers each due alarm through the
object host's handler, as the sweeper's asynchronous invoke would. Alarms live in the table like the rest
of the state, so they survive a restart of ``make run`` (its persistence keeps every item).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from devstack.lambda_runtime import add_layers_to_path

if TYPE_CHECKING:
    from devstack.moto_stack import LocalStack
    from durable_agents.runtime.table import StateTable

LOGGER = logging.getLogger("devstack.alarms")
TICK_SECONDS = 0.25


class AlarmClock:
    """Sweeps ``table`` for due alarms every tick and hands each to ``deliver(event)`` (on a pool)."""

    def __init__(
        self, table: StateTable, deliver: Callable[[dict[str, Any]], Any], *, tick: float = TICK_SECONDS
    ):
        from durable_agents.runtime.alarms import Sweeper, alarm_event

        self.tick = tick
        self._sweeper = Sweeper(table, lambda pk: deliver(alarm_event(pk)), workers=8)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alarm-clock", daemon=True)

    @classmethod
    def for_stack(cls, stack: LocalStack) -> AlarmClock:
        """The clock of a running local stack: its table, delivering through its object host function
        (the layer made importable first, as the handlers' own loading does)."""
        host = stack.functions["ObjectHostFunction"]
        add_layers_to_path(host.spec.layer_paths)
        from durable_agents.runtime import default_env

        return cls(default_env().table, host.invoke)

    def start(self) -> AlarmClock:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sweeper.drain()

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self._sweeper.sweep()
            except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
                LOGGER.warning("sweeping for due alarms failed", exc_info=True)
