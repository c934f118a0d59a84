"""The runtime's clock held at a moment a test moves by hand (:mod:`durable_agents.runtime.clock`)."""

from __future__ import annotations

from datetime import datetime

import pytest

from durable_agents.runtime import clock


def held_clock(monkeypatch: pytest.MonkeyPatch, start: datetime) -> list[float]:
    """Hold the runtime's clock (the agents' too) at ``start``; returns ``moment``, whose ``moment[0]``
    (epoch seconds) is the clock's time from then on: move it by assigning. Undone with ``monkeypatch``."""
    moment = [start.timestamp()]
    monkeypatch.setattr(clock, "source", lambda: moment[0])
    return moment
