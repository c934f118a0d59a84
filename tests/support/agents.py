"""Helpers for the agent tests: an Env bound to the four real agents, messages, failing tool registries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from durable_agents.agents.models import AgentContext, AgentMessage
from durable_agents.config import Settings
from durable_agents.runtime import Env
from durable_agents.tools import ToolRegistry, attractions, flights, hotels, search, weather
from durable_agents.tools.errors import ToolError
from durable_agents.tools.models import Reply, Source

AGENT_BINDINGS = {
    "TRAVEL_AGENT": "durable_agents.agents.travel:TravelAgent",
    "SCRAPING_AGENT": "durable_agents.agents.scraping:ScrapingAgent",
    "CONVERSATION_MANAGER": "durable_agents.agents.conversation:ConversationManager",
    "SESSION_MANAGER": "durable_agents.agents.session:SessionManager",
}
TABLE = "state-test"


def agents_env(dynamodb: Any, *, stepfunctions: Any | None = None, **overrides: Any) -> Env:
    """A fresh Env over the test table whose bindings are the real agents (a new Env = a new process)."""
    values: dict[str, Any] = {"lease_seconds": 30, "busy_wait_seconds": 5, **overrides}
    settings = Settings(state_table=TABLE, **values)
    return Env(settings, AGENT_BINDINGS, dynamodb=dynamodb, stepfunctions=stepfunctions)


def chat(text: str, *, user: str | None = "alice", session: str = "s1") -> AgentMessage:
    return AgentMessage(type="chat", content=text, context=AgentContext(session_id=session, user_id=user))


def message(kind: str, content: Any = "", *, user: str | None = "alice", session: str = "s1") -> AgentMessage:
    return AgentMessage(type=kind, content=content, context=AgentContext(session_id=session, user_id=user))


# --- tool registries with one broken tool ---------------------------------------------------------------

TOOL_MODULES = {
    "weather": weather,
    "flights": flights,
    "hotels": hotels,
    "attractions": attractions,
    "search": search,
}
OFFLINE = {
    "weather": weather.OfflineWeather,
    "flights": flights.OfflineFlights,
    "hotels": hotels.OfflineHotels,
    "attractions": attractions.OfflineAttractions,
    "search": search.OfflineSearch,
}
SLOW_SECONDS = 1.5
"""How long a slow provider holds its call unless a test gives it a :class:`Hold` of its own."""


@dataclass
class Hold:
    """A slow provider's call: it blocks until ``release`` is set (or ``seconds`` pass), then fails;
    ``done`` is set once it has returned. A turn that answered while ``done`` is still clear did not wait
    for the slow tool: no wall-clock bound, so a loaded machine cannot fail the test (a turn that waited
    would take ``seconds``)."""

    seconds: float = SLOW_SECONDS
    release: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)


def failing_provider(kind: str, hold: Hold | None = None) -> Callable[[Any], Reply]:
    """A provider that times out (holds the call past the timeout), errors, raises, or answers malformed
    data."""

    def provider(params: Any) -> Reply:
        if kind == "timeout":
            held = hold or Hold()
            try:
                held.release.wait(held.seconds)
                raise ToolError("too late")
            finally:
                held.done.set()
        if kind == "error":
            raise ToolError("upstream answered HTTP 503")
        if kind == "crash":
            raise RuntimeError("provider bug")
        return Reply(data={"unexpected": "shape"}, source=Source(name="broken", offline=False))

    return provider


def registry_with_failure(tool: str, kind: str, hold: Hold | None = None) -> ToolRegistry:
    """The offline tools, except ``tool``, whose provider fails as ``kind`` says (a ``timeout`` holds
    each call as ``hold`` says)."""
    return ToolRegistry(
        TOOL_MODULES[name].tool(failing_provider(kind, hold) if name == tool else OFFLINE[name]())
        for name in TOOL_MODULES
    )


class CountingRegistry:
    """Wraps a registry and counts ``run_parallel`` calls (to see the cache skip the tools)."""

    def __init__(self, inner: ToolRegistry):
        self.inner = inner
        self.runs: list[list[str]] = []

    def names(self) -> list[str]:
        return self.inner.names()

    def run_parallel(self, calls: Any, *, timeout: float) -> Any:
        self.runs.append([name for name, _ in calls])
        return self.inner.run_parallel(calls, timeout=timeout)
