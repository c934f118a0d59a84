"""The tool registry: typed tools by name, their JSON schemas, and running many calls at once.

:meth:`ToolRegistry.run_parallel` never raises for a tool's sake and never keeps the caller past its
timeout, nor past the Lambda invocation's end: a round of calls gets ``timeout`` seconds or what is left
of the invocation less :data:`ANSWER_RESERVE_SECONDS`, whichever is less. Arguments are validated first
(bad ones become ``ok=False`` results), valid calls run concurrently on a shared, process-wide thread pool
(each in a copy of the caller's ``contextvars`` context, with the deadline set in it), and whatever has
not finished by the deadline is reported as timed out. A provider still running after that is abandoned,
not waited for; its upstream requests are clipped to the deadline, so it ends soon after.

The live registry reads its keys (:mod:`.secrets`) when a keyed tool runs, not when it is built: a read
that failed is tried again later, and the tools go live as soon as it succeeds.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from pydantic import BaseModel, ValidationError

from ..config import Settings
from ..http import HttpTransport, UrllibTransport
from ..runtime.connections import emit
from . import attractions, flights, hotels, search, weather
from .amadeus import AMADEUS_TEST_URL, AmadeusClient
from .dates import utc_today
from .deadline import invocation_seconds_left, set_deadline
from .errors import ToolError
from .models import Reply, Tool, ToolResult
from .secrets import load_tool_secrets

logger = logging.getLogger(__name__)

MAX_WORKERS = 32
ANSWER_RESERVE_SECONDS = 0.25
"""Kept back from the invocation's remaining time for what follows the tools (the answer, the commit)."""
_executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="durable-agents-tool")
"""Shared by every registry in the process; never shut down or waited on by a caller."""


class ToolRegistry:
    """Tools by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        """Add ``tool``; a second tool with the same name is an error."""
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool:
        """The tool called ``name`` (``KeyError`` if there is none)."""
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"unknown tool {name!r}") from None

    def names(self) -> list[str]:
        """Tool names, in registration order."""
        return list(self._tools)

    def json_schemas(self) -> list[dict[str, Any]]:
        """``[{"name", "description", "input_schema"}]``: JSON Schemas of the parameters, for an LLM.

        For Bedrock Converse, wrap each as ``{"toolSpec": {"name", "description",
        "inputSchema": {"json": input_schema}}}``.
        """
        return [
            {"name": t.name, "description": t.description, "input_schema": t.params.model_json_schema()}
            for t in self._tools.values()
        ]

    def run_parallel(
        self, calls: Sequence[tuple[str, Mapping[str, Any]]], *, timeout: float
    ) -> list[ToolResult]:
        """One :class:`ToolResult` per ``(tool name, arguments)`` call, in call order, within ``timeout``."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        started = time.monotonic()
        budget = min(timeout, invocation_seconds_left(math.inf) - ANSWER_RESERVE_SECONDS)
        deadline = started + budget
        results: list[ToolResult | None] = [None] * len(calls)
        pending: dict[Future[ToolResult], int] = {}
        for index, (name, arguments) in enumerate(calls):
            tool = self._tools.get(name)
            if tool is None:
                known = ", ".join(self._tools) or "none"
                results[index] = _failure(name, f"unknown tool {name!r} (known: {known})", started)
                continue
            try:
                params = tool.params.model_validate(arguments)
            except ValidationError as error:
                results[index] = _failure(name, f"invalid arguments for {name}: {_explain(error)}", started)
                continue
            if budget <= 0:
                results[index] = _failure(name, "no time left in this invocation", started)
                continue
            context = contextvars.copy_context()
            pending[_executor.submit(context.run, _invoke, tool, params, started, deadline)] = index
        done, late = wait(pending, timeout=max(0.0, deadline - time.monotonic()))
        for future in done:
            results[pending[future]] = future.result()
        for future in late:
            future.cancel()
            name = calls[pending[future]][0]
            logger.warning("tool %s timed out after %.3gs", name, budget)
            results[pending[future]] = _failure(name, f"timed out after {budget:.3g}s", started)
        return [result for result in results if result is not None]


def _invoke(tool: Tool, params: BaseModel, started: float, deadline: float) -> ToolResult:
    """Run one provider in a worker thread (inside the caller's copied context); never raises. Live
    clients of the turn see it start and finish (``progress`` events, provisional)."""
    emit({"type": "progress", "tool": tool.name, "status": "started"})
    result = _run_provider(tool, params, started, deadline)
    emit({"type": "progress", "tool": tool.name, "status": "finished", "ok": result.ok})
    return result


def _run_provider(tool: Tool, params: BaseModel, started: float, deadline: float) -> ToolResult:
    set_deadline(deadline)
    try:
        reply: object = tool.provider(params)  # a provider may break its contract
        if not isinstance(reply, Reply):
            return _failure(
                tool.name, f"{tool.name} provider returned {type(reply).__name__}, not a Reply", started
            )
        data = tool.result.model_validate(reply.data).model_dump(mode="json")
    except ToolError as error:
        return _failure(tool.name, str(error), started)
    except ValidationError as error:
        return _failure(tool.name, f"{tool.name} provider returned invalid data: {_explain(error)}", started)
    except Exception as error:  # a provider bug must not take the other tools down
        logger.exception("tool %s failed", tool.name)
        return _failure(tool.name, f"{tool.name} failed: {type(error).__name__}: {error}", started)
    return ToolResult(tool=tool.name, ok=True, data=data, source=reply.source, elapsed_ms=_since(started))


def _failure(tool: str, error: str, started: float) -> ToolResult:
    return ToolResult(tool=tool, ok=False, error=error, elapsed_ms=_since(started))


def _since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _explain(error: ValidationError, most: int = 5) -> str:
    """'origin: Field required; adults: Input should be greater than or equal to 1'."""
    parts = []
    for item in error.errors()[:most]:
        where = ".".join(str(part) for part in item["loc"]) or "arguments"
        parts.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
    more = error.error_count() - most
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


# --- the default tools --------------------------------------------------------------------------------


def offline_registry(today: Callable[[], dt.date] = utc_today) -> ToolRegistry:
    """Every tool with its offline provider (the default: deterministic, no network, no keys).

    ``today`` is the providers' calendar (tests pin it to the agent's clock).
    """
    return ToolRegistry(
        [
            weather.tool(weather.OfflineWeather(today=today)),
            flights.tool(flights.OfflineFlights(today=today)),
            hotels.tool(hotels.OfflineHotels(today=today)),
            attractions.tool(attractions.OfflineAttractions()),
            search.tool(search.OfflineSearch()),
        ]
    )


def default_registry(
    settings: Settings,
    transport: HttpTransport | None = None,
    secrets: Mapping[str, str] | None = None,
) -> ToolRegistry:
    """The registry ``settings.tool_provider`` asks for.

    ``"live"`` uses the real APIs through ``transport`` (default: the network), with the keys in
    ``secrets`` or, by default, in the SSM parameter ``settings.tool_secrets_parameter``, read when a keyed
    tool runs (:class:`_KeyedTools`). A tool whose key is missing answers from its offline provider, and
    its source note says why.
    """
    if settings.tool_provider == "offline":
        return offline_registry()
    transport = transport if transport is not None else UrllibTransport()
    timeout = settings.tool_timeout_seconds
    pick: Callable[[str], Provider]
    if secrets is not None:
        live = _live_providers(secrets, transport, timeout)
        pick = lambda name: live[name] or _offline(name)  # noqa: E731
    else:
        pick = _KeyedTools(settings.tool_secrets_parameter, transport, timeout).provider
    return ToolRegistry(
        [
            weather.tool(weather.OpenMeteoWeather(transport, timeout=timeout)),
            flights.tool(pick("flights")),
            hotels.tool(pick("hotels")),
            attractions.tool(pick("attractions")),
            search.tool(pick("search")),
        ]
    )


Provider = Callable[[Any], Reply]
KEYED_TOOLS = ("flights", "hotels", "attractions", "search")
_AMADEUS_REASON = "no Amadeus key configured (amadeus_client_id, amadeus_client_secret)"
_OFFLINE_REASONS = {
    "flights": _AMADEUS_REASON,
    "hotels": _AMADEUS_REASON,
    "attractions": "no OpenTripMap key configured (opentripmap_api_key)",
    "search": "no Brave Search key configured (brave_api_key)",
}


def _live_providers(
    keys: Mapping[str, str], transport: HttpTransport, timeout: float
) -> dict[str, Provider | None]:
    """The live provider of each keyed tool that ``keys`` has a key for (``None`` for the others)."""
    providers: dict[str, Provider | None] = dict.fromkeys(KEYED_TOOLS)
    client_id, client_secret = keys.get("amadeus_client_id"), keys.get("amadeus_client_secret")
    if client_id and client_secret:
        client = AmadeusClient(
            transport,
            client_id=client_id,
            client_secret=client_secret,
            timeout=timeout,
            base_url=keys.get("amadeus_base_url") or AMADEUS_TEST_URL,
        )
        providers["flights"] = flights.AmadeusFlights(client)
        providers["hotels"] = hotels.AmadeusHotels(client)
    if api_key := keys.get("opentripmap_api_key"):
        providers["attractions"] = attractions.OpenTripMapAttractions(
            transport, api_key=api_key, timeout=timeout
        )
    if api_key := keys.get("brave_api_key"):
        providers["search"] = search.BraveSearch(transport, api_key=api_key, timeout=timeout)
    return providers


def _offline(name: str) -> Provider:
    """Tool ``name``'s offline provider, its source note saying which key is missing."""
    offline: dict[str, Provider] = {
        "flights": flights.OfflineFlights(),
        "hotels": hotels.OfflineHotels(),
        "attractions": attractions.OfflineAttractions(),
        "search": search.OfflineSearch(),
    }
    return _noted(offline[name], _OFFLINE_REASONS[name])


class _KeyedTools:
    """The keyed tools' providers for keys read from SSM when a tool runs (:func:`load_tool_secrets`).

    The live providers are built once per set of keys read, so they keep their state (Amadeus' token)
    from call to call; while the read fails, each tool answers offline with its note.
    """

    def __init__(self, parameter_name: str, transport: HttpTransport, timeout: float) -> None:
        self._parameter_name = parameter_name
        self._transport = transport
        self._timeout = timeout
        self._lock = threading.Lock()
        self._built: tuple[Mapping[str, str], dict[str, Provider | None]] | None = None

    def _live(self, name: str) -> Provider | None:
        keys = load_tool_secrets(self._parameter_name)
        with self._lock:
            if self._built is None or self._built[0] is not keys:
                self._built = (keys, _live_providers(keys, self._transport, self._timeout))
            return self._built[1][name]

    def provider(self, name: str) -> Provider:
        """Tool ``name``'s provider: the live one when its key is there at call time, else offline."""
        offline = _offline(name)

        def keyed(params: Any) -> Reply:
            live = self._live(name)
            return live(params) if live is not None else offline(params)

        return keyed


def _noted(provider: Callable[[Any], Reply], note: str) -> Callable[[Any], Reply]:
    """``provider`` with ``note`` prepended to its source note (why a live tool answers offline)."""

    def noted(params: Any) -> Reply:
        return provider(params).with_note(note)

    return noted
