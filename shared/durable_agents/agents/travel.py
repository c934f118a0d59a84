"""``TravelAgent`` (binding TRAVEL_AGENT, name ``travel:<sessionId>``): the travel-planning chat agent.

Message types:

``chat``
    One turn: extract the intent and the slots the message states (given the known slots and today's
    date in UTC) -> merge them into the conversation's slots (persisted) -> plan tool calls -> run them
    in parallel (``settings.tool_timeout_seconds``; a failed or slow tool leaves the others' results) ->
    compose the reply. The response is ``type="answer"`` with ``content``, ``confidence``, ``sources``
    (one per tool that answered, its offline flag kept) and ``metadata{intent, toolsUsed, timestamp,
    failedTools, cached}``; ``data`` holds ``slots``, ``missing`` and a per-tool ``tools`` summary.

    It is ``type="clarification"`` instead when the agent needs more to plan:

    - no destination for a trip intent: nothing is looked up, the reply asks where to go;
    - a trip plan (``plan_trip`` / ``update_details``) with a destination but without the origin, the
      dates (a date, month or duration) or the number of travellers: the agent still answers with
      what it can look up now (weather, things to do, hotels when dates are known) and ends with one
      question listing the missing details; ``data.missing`` names them (``origin``, ``dates``,
      ``travellers``);
    - a single-tool request whose required slot is missing (flights without an origin, ...).

``tool_call``
    ``content={"tool": name, "arguments": {...}}`` runs that one tool: ``type="tool_result"`` with
    ``data={"tool", "ok", "data", "error", "source"}``. An unknown tool is an :class:`InvalidMessage`;
    a tool failure is an ``ok: false`` result, not an error.

``state_query``
    ``type="state"``: a summary of the trip so far, ``data={"slots", "missing", "historyLength"}``.

Response cache: a chat answer is kept (at most :data:`CACHE_ENTRIES` entries, :data:`CACHE_TTL_SECONDS`
each, one storage key per entry plus a small index) under the normalised question, the slots before the
turn and today's date. The same question asked with the same slots is answered from it without any
model or tool call (``metadata.cached = true``). Any slot change empties the cache. Only complete
answers that used tools and left the slots as they were are cached: a turn where a tool failed,
that asked for details, that changed the slots or that looked nothing up is recomputed next time
(so the second identical question after a slot change is the first one served from the cache).

The language model and the tool registry come from the settings, created once per process; tests
set :attr:`TravelAgent.language_model` / :attr:`TravelAgent.tool_registry` to inject their own.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from .base import BaseAgent, chat_text, content_dict, handles, iso, json_size, parse_time
from .errors import InvalidMessage
from .models import AgentMessage, AgentResponse, ResponseMetadata, Source

if TYPE_CHECKING:
    from ..config import Settings
    from ..llm import Extraction, LanguageModel, TravelSlots
    from ..llm.models import ToolResult as ComposeToolResult
    from ..tools import ToolRegistry
    from ..tools import ToolResult as RegistryToolResult

CACHE_ENTRIES = 20
CACHE_TTL_SECONDS = 900.0
CACHE_ENTRY_BYTES = 16 * 1024
"""A larger answer is not cached (it would not stay inline in the object's state)."""

TRIP_DETAILS = ("origin", "dates", "travellers")
"""What a full trip plan needs besides the destination (asked for in one clarifying question)."""

_ASK = {
    "destination": "where you'd like to go",
    "origin": "where you're travelling from",
    "dates": "when you're travelling (dates, a month or how many days)",
    "travellers": "how many people are travelling",
}
_TRIP_INTENTS = {"plan_trip", "update_details"}
_NEEDS_DESTINATION = {"plan_trip", "update_details", "find_flights", "find_hotels", "weather", "attractions"}

_lock = threading.Lock()
_registries: dict[tuple[str, str, float], ToolRegistry] = {}


def default_tool_registry(settings: Settings) -> ToolRegistry:
    """The process-wide registry for ``settings`` (built on first use: live keys are read once)."""
    key = (settings.tool_provider, settings.tool_secrets_parameter, settings.tool_timeout_seconds)
    with _lock:
        registry = _registries.get(key)
        if registry is None:
            from ..tools import default_registry

            registry = _registries[key] = default_registry(settings)
        return registry


def default_language_model(settings: Settings) -> LanguageModel:
    from ..llm import get_language_model

    return get_language_model(settings)


def normalize_question(text: str) -> str:
    """Lower case, single spaces, no surrounding punctuation: the cache's notion of "the same question"."""
    return " ".join(re.sub(r"[^\w\s€$£¥%.,:/-]", " ", text.casefold()).split()).strip(" .,:")


class TravelAgent(BaseAgent):
    """The travel-planning agent (see the module documentation)."""

    language_model: ClassVar[LanguageModel | None] = None
    """Injected model; ``None`` = :func:`default_language_model` for the env's settings."""
    tool_registry: ClassVar[ToolRegistry | None] = None
    """Injected registry; ``None`` = :func:`default_tool_registry` for the env's settings."""

    # --- providers --------------------------------------------------------------------------------------

    @classmethod
    def model_for(cls, settings: Settings) -> LanguageModel:
        return cls.language_model or default_language_model(settings)

    @classmethod
    def registry_for(cls, settings: Settings) -> ToolRegistry:
        return cls.tool_registry or default_tool_registry(settings)

    @property
    def model(self) -> LanguageModel:
        return self.model_for(self.env.settings)

    @property
    def registry(self) -> ToolRegistry:
        return self.registry_for(self.env.settings)

    def today(self) -> date:
        return self.now().date()

    # --- message handlers -------------------------------------------------------------------------------

    @handles("chat")
    def _chat(self, message: AgentMessage) -> AgentResponse:
        from ..llm import ComposeRequest

        text = chat_text(message)
        self._take_preferences(message)
        known = self._slots()
        today = self.today()
        cache_key = self._cache_key(text, known, today)
        cached = self._cached(cache_key)
        if cached is not None:
            return cached

        extraction = self.model.extract(text, known=known, today=today)
        slots = self._seed_interests(known.merge(extraction.slots))
        slots_changed = slots != known
        if slots_changed:
            self._save_slots(slots)
            self._clear_cache()
        intent = extraction.intent.value
        if intent in _NEEDS_DESTINATION and slots.destination is None:
            content = self.model.compose(
                ComposeRequest(
                    message=text,
                    intent=extraction.intent,
                    slots=slots,
                    missing=slots.missing(extraction.intent),
                )
            )
            return self._response(
                "clarification",
                content,
                extraction,
                slots,
                results=[],
                missing=["destination"],
                confidence=0.6,
            )

        calls = self.model.plan(extraction, slots)
        results = self._run_tools([(call.tool, call.arguments) for call in calls])
        trip_missing = self._trip_missing(slots) if intent in _TRIP_INTENTS else []
        tool_missing = [] if calls or intent in _TRIP_INTENTS else list(slots.missing(extraction.intent))
        compose_results = [self._for_compose(result) for result in results]
        content = self.model.compose(
            ComposeRequest(
                message=text,
                intent=extraction.intent,
                slots=slots,
                missing=tool_missing,
                tool_results=compose_results,
            )
        )
        if trip_missing:
            content = content.rstrip() + "\n\n" + self._question(slots, trip_missing)
        missing = trip_missing or tool_missing
        kind = "clarification" if missing else "answer"
        response = self._response(kind, content, extraction, slots, results=results, missing=missing)
        if kind == "answer" and not slots_changed and results and all(result.ok for result in results):
            self._cache(cache_key, response)  # keyed by the slots before the turn: only valid if unchanged
        return response

    @handles("tool_call")
    def _tool_call(self, message: AgentMessage) -> AgentResponse:
        content = content_dict(message)
        tool = content.get("tool")
        arguments = content.get("arguments", {})
        names = self.registry.names()
        if not isinstance(tool, str) or tool not in names:
            raise InvalidMessage(f"unknown tool {tool!r}; tools: {', '.join(names)}")
        if not isinstance(arguments, dict):
            raise InvalidMessage("tool_call arguments must be an object")
        (result,) = self._run_tools([(tool, arguments)])
        if result.ok:
            text = f"{tool} answered" + (" (offline sample data)" if self._offline(result) else "") + "."
        else:
            text = f"{tool} failed: {result.error}"
        source = result.source.model_dump(mode="json") if result.source is not None else None
        return AgentResponse(
            type="tool_result",
            content=text,
            confidence=1.0 if result.ok else 0.0,
            sources=self._sources([result]),
            metadata=ResponseMetadata(
                intent="tool_call",
                tools_used=[tool],
                timestamp=self.now(),
                failedTools=[] if result.ok else [tool],
            ),
            data={
                "tool": tool,
                "ok": result.ok,
                "data": result.data,
                "error": result.error,
                "source": source,
            },
        )

    @handles("state_query")
    def _state_query(self, message: AgentMessage) -> AgentResponse:
        slots = self._slots()
        missing = self._all_missing(slots)
        summary = self._summary(slots)
        if summary:
            content = f"Here's what I have so far: {summary}."
        else:
            content = "I don't know anything about your trip yet."
        if missing:
            content += " Still needed: " + self._join([_ASK[item] for item in missing]) + "."
        return AgentResponse(
            type="state",
            content=content,
            metadata=ResponseMetadata(intent="state_query", timestamp=self.now()),
            data={
                "slots": slots.model_dump(mode="json", by_alias=True, exclude_none=True),
                "missing": missing,
                "historyLength": len(self.storage.history),
            },
        )

    # --- slots and preferences --------------------------------------------------------------------------

    def _slots(self) -> TravelSlots:
        from ..llm import TravelSlots

        return TravelSlots.model_validate(self.storage.get("slots") or {})

    def _save_slots(self, slots: TravelSlots) -> None:
        self.storage.put("slots", slots.model_dump(mode="json", by_alias=True, exclude_none=True))

    def _validate_slots(self, slots: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        from ..llm import TravelSlots

        try:
            checked = TravelSlots.model_validate(slots).normalized()
        except ValidationError as error:
            raise InvalidMessage(f"invalid extractedSlots: {error.errors()[0]['msg']}") from None
        if checked != self._slots():
            self._clear_cache()
        return checked.model_dump(mode="json", by_alias=True, exclude_none=True)

    def _take_preferences(self, message: AgentMessage) -> None:
        """Keep the user's preferences the conversation passes along (``context.metadata.preferences``)."""
        preferences = message.context.metadata.get("preferences")
        if isinstance(preferences, dict) and json_size(preferences) <= 4096:
            if preferences != (self.storage.get("preferences") or {}):
                self.storage.put("preferences", preferences)

    def _seed_interests(self, slots: TravelSlots) -> TravelSlots:
        """The user's preferred interests, when the trip has none of its own yet."""
        from ..llm import INTERESTS

        if slots.interests:
            return slots
        preferred = (self.storage.get("preferences") or {}).get("interests")
        if not isinstance(preferred, list):
            return slots
        interests = [item for item in preferred if item in INTERESTS]
        return slots.model_copy(update={"interests": interests}) if interests else slots

    @staticmethod
    def _trip_missing(slots: TravelSlots) -> list[str]:
        missing = []
        if slots.origin is None:
            missing.append("origin")
        if not slots.has_dates():
            missing.append("dates")
        if slots.travellers is None:
            missing.append("travellers")
        return missing

    def _all_missing(self, slots: TravelSlots) -> list[str]:
        return (["destination"] if slots.destination is None else []) + self._trip_missing(slots)

    # --- tools ------------------------------------------------------------------------------------------

    def _run_tools(self, calls: list[tuple[str, dict[str, Any]]]) -> list[RegistryToolResult]:
        if not calls:
            return []
        return self.registry.run_parallel(calls, timeout=self.env.settings.tool_timeout_seconds)

    @staticmethod
    def _offline(result: RegistryToolResult) -> bool:
        return bool(result.source is not None and result.source.offline)

    @staticmethod
    def _for_compose(result: RegistryToolResult) -> ComposeToolResult:
        from ..llm import ToolResult

        return ToolResult.model_validate(result.model_dump(mode="json"))

    @staticmethod
    def _sources(results: list[RegistryToolResult]) -> list[Source]:
        sources = []
        for result in results:
            if result.ok and result.source is not None:
                source = result.source
                sources.append(
                    Source(
                        name=f"{result.tool}:{source.name}",
                        url=source.url,
                        offline=source.offline,
                        note=source.note or None,
                    )
                )
        return sources

    # --- responses --------------------------------------------------------------------------------------

    def _response(
        self,
        kind: str,
        content: str,
        extraction: Extraction,
        slots: TravelSlots,
        *,
        results: list[RegistryToolResult],
        missing: list[str],
        confidence: float | None = None,
    ) -> AgentResponse:
        failed = [result.tool for result in results if not result.ok]
        if confidence is None:
            confidence = extraction.confidence
            if results:
                confidence *= 0.5 + 0.5 * (len(results) - len(failed)) / len(results)
            if missing:
                confidence *= 0.8
        return AgentResponse(
            type=kind,  # type: ignore[arg-type]
            content=content,
            confidence=round(min(max(confidence, 0.0), 1.0), 3),
            sources=self._sources(results),
            metadata=ResponseMetadata(
                intent=extraction.intent.value,
                tools_used=[result.tool for result in results],
                timestamp=self.now(),
                failedTools=failed,
                cached=False,
            ),
            data={
                "slots": slots.model_dump(mode="json", by_alias=True, exclude_none=True),
                "missing": missing,
                "tools": [self._tool_summary(result) for result in results],
            },
        )

    def _tool_summary(self, result: RegistryToolResult) -> dict[str, Any]:
        summary: dict[str, Any] = {"tool": result.tool, "ok": result.ok, "offline": self._offline(result)}
        if result.error:
            summary["error"] = result.error
        return summary

    def _question(self, slots: TravelSlots, missing: list[str]) -> str:
        where = slots.destination.name if slots.destination is not None else "your destination"
        details = self._join([_ASK[item] for item in missing])
        return f"To plan the whole trip to {where}, could you tell me {details}?"

    @staticmethod
    def _join(parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    @staticmethod
    def _summary(slots: TravelSlots) -> str:
        facts = []
        if slots.destination is not None:
            facts.append(f"destination {slots.destination.name}")
        if slots.origin is not None:
            facts.append(f"from {slots.origin.name}")
        if slots.departure_date is not None:
            end = slots.trip_end()
            facts.append(f"{slots.departure_date.isoformat()}" + (f" to {end.isoformat()}" if end else ""))
        elif slots.month is not None:
            facts.append(f"in {date(2000, slots.month, 1):%B}")
        if slots.duration_days is not None:
            facts.append(f"{slots.duration_days} day{'s' if slots.duration_days != 1 else ''}")
        if slots.travellers is not None:
            facts.append(slots.travellers.describe())
        if slots.budget is not None:
            facts.append(f"budget {slots.budget.describe()}")
        if slots.interests:
            facts.append("interests: " + ", ".join(slots.interests))
        return ", ".join(facts)

    # --- response cache ---------------------------------------------------------------------------------
    # ``cache_index`` (small, inline): {key: {"at": iso, "exp": iso}}; ``cache:<key>``: one answer each.

    def _cache_key(self, text: str, slots: TravelSlots, today: date) -> str:
        material = json.dumps(
            {
                "q": normalize_question(text),
                "slots": slots.model_dump(mode="json", exclude_none=True),
                "today": today.isoformat(),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def _cached(self, key: str) -> AgentResponse | None:
        index = self.storage.get("cache_index") or {}
        entry = index.get(key)
        expires = parse_time(entry.get("exp")) if isinstance(entry, dict) else None
        if expires is None or expires <= self.now():
            return None
        stored = self.storage.get(f"cache:{key}")
        if stored is None:
            return None
        response = AgentResponse.model_validate(stored)
        metadata = response.metadata.model_dump(mode="json", by_alias=True)
        metadata.update({"cached": True, "cachedAt": metadata.get("timestamp"), "timestamp": iso(self.now())})
        return response.model_copy(update={"metadata": ResponseMetadata.model_validate(metadata)})

    def _cache(self, key: str, response: AgentResponse) -> None:
        stored = response.to_json()
        if json_size(stored) > CACHE_ENTRY_BYTES:
            return
        now = self.now()
        index = dict(self.storage.get("cache_index") or {})
        index = {k: v for k, v in index.items() if (parse_time(v.get("exp")) or now) > now}
        index[key] = {"at": iso(now), "exp": iso(now + timedelta(seconds=CACHE_TTL_SECONDS))}
        dropped = set(self.storage.get("cache_index") or {}) - set(index)
        if len(index) > CACHE_ENTRIES:
            for old in sorted(index, key=lambda k: index[k]["at"])[: len(index) - CACHE_ENTRIES]:
                del index[old]
                dropped.add(old)
        if dropped:
            self.storage.delete([f"cache:{k}" for k in dropped])
        self.storage.put({"cache_index": index, f"cache:{key}": stored})

    def _clear_cache(self) -> None:
        index = self.storage.get("cache_index") or {}
        if index:
            self.storage.delete(["cache_index", *(f"cache:{k}" for k in index)])
