"""``TravelAgent`` (binding TRAVEL_AGENT, name ``travel:<sessionId>``): the travel-planning chat agent.

Message types:

``chat``
    One turn: extract the intent and the slots the message states (given the known slots, what the agent
    last asked and today's date in UTC) -> merge them into the conversation's slots -> answer:

    - a trip (``plan_trip``, ``update_details``) with a destination: a :class:`~..llm.plan.TripPlan`
      (day-by-day itinerary, outbound and return flights, hotel nights x price for the party, the total
      against the budget), built from the tools in parallel. Dates, party and origin the user did not
      give are assumed and said so; ``data.missing`` lists them (``origin``, ``dates``, ``travellers``)
      and the reply ends with one question (``type="clarification"``). A small change to an existing
      plan ("make it 3 adults", "bump the budget to 1800") gets a short answer saying what changed;
    - follow-ups about the trip in hand: ``cheaper`` (one step cheaper hotels, the cheapest flights),
      ``budget_check``, ``show_plan`` (the whole plan again), ``food``, ``transport``, and ``weather`` /
      ``attractions`` / ``find_flights`` / ``find_hotels`` for the trip's stops and dates;
    - ``suggest`` (an open request: "somewhere warm in December under 2000 euros"): ranked suggestions
      with reasons; "the first one" (or a suggestion's name) then picks one;
    - ``search``: a web search; ``greeting``; and a question when a trip intent has no destination.

    The response is ``type="answer"`` (or ``"clarification"``) with ``content``, ``confidence``,
    ``sources`` (one per provider that answered, its offline flag kept) and ``metadata{intent,
    toolsUsed, timestamp, failedTools}``; ``data`` holds ``slots``, ``missing``, ``tools`` (per-call
    summary) and ``plan`` (the current plan whenever there is one, updated on each change).

``tool_call``
    ``content={"tool": name, "arguments": {...}}`` runs that one tool: ``type="tool_result"`` with
    ``data={"tool", "ok", "data", "error", "source"}``. An unknown tool is an :class:`InvalidMessage`;
    a tool failure is an ``ok: false`` result, not an error.

``state_query``
    ``type="state"``: a summary of the trip so far, ``data={"slots", "missing", "plan"}``.

What it stores (each a small key of its own): ``slots``, ``plan`` (the current plan, a few KB),
``dialog`` (what was last asked, the suggestions last shown, the chosen hotel level and flights),
``preferences`` and ``meta``. No transcript: the ConversationManager keeps the conversation's, so chat
turns are not recorded in this object's history. No response cache: an answer is a write billed by its
size, and a conversation rarely repeats the same question with the same trip, so a cache costs more
writes than the tool calls it would save (offline tools are cheap; live ones are called only when the
trip changes or the user asks).

The language model and the tool registry come from the settings, created once per process; tests
set :attr:`TravelAgent.language_model` / :attr:`TravelAgent.tool_registry` to inject their own.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from .base import BaseAgent, chat_text, content_dict, handles, json_size
from .errors import InvalidMessage
from .models import AgentMessage, AgentResponse, ResponseMetadata, Source

if TYPE_CHECKING:
    from ..config import Settings
    from ..llm import Extraction, LanguageModel, Place, TravelSlots
    from ..llm.models import Intent
    from ..llm.models import ToolResult as ComposeToolResult
    from ..llm.plan import TripPlan
    from ..llm.trip import Choices
    from ..tools import ToolRegistry
    from ..tools import ToolResult as RegistryToolResult

logger = logging.getLogger(__name__)

TRIP_DETAILS = ("origin", "dates", "travellers")
"""What a full trip plan needs besides the destination (asked for in one clarifying question)."""

_ASK = {
    "destination": "where you'd like to go",
    "origin": "where you're travelling from",
    "dates": "when you're travelling (dates, a month or how many days)",
    "travellers": "how many people are travelling",
}
_TRIP_INTENTS = {"plan_trip", "update_details"}
_PLAN_FOLLOW_UPS = {"cheaper", "budget_check", "show_plan"}
_NEEDS_DESTINATION = {
    "plan_trip", "update_details", "find_flights", "find_hotels", "weather", "attractions", "food",
    "transport", "cheaper", "budget_check", "show_plan",
}  # fmt: skip
_PICK = re.compile(
    r"\b(?:the\s+)?(?P<which>first|second|third|fourth|fifth|last|top|1st|2nd|3rd|4th|5th)\s+(?:one|option|idea|"
    r"suggestion|choice|place)\b|\b(?:option|number|no\.?|#)\s*(?P<number>[1-5])\b"
)
_ORDINALS = {"first": 0, "top": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
             "4th": 3,
             "fifth": 4, "5th": 4, "last": -1}  # fmt: skip
MAX_FOLLOW_UP_STOPS = 3

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


@dataclass
class Dialog:
    """The compact dialog state kept between turns (storage key ``dialog``)."""

    asked: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    hotel: str = "mid-range"
    flight: str = "best"

    @classmethod
    def load(cls, stored: Any) -> Dialog:
        data = stored if isinstance(stored, dict) else {}
        return cls(
            asked=[str(item) for item in data.get("asked", [])][:4],
            suggestions=[str(item)[:80] for item in data.get("suggestions", [])][:5],
            hotel=str(data.get("hotel", "mid-range")),
            flight=str(data.get("flight", "best")),
        )

    def dump(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "suggestions": self.suggestions,
            "hotel": self.hotel,
            "flight": self.flight,
        }

    def choices(self) -> Choices:
        from ..llm.trip import HOTEL_LEVELS, Choices

        hotel = self.hotel if self.hotel in HOTEL_LEVELS else "mid-range"
        return Choices(hotel, "cheapest" if self.flight == "cheapest" else "best")  # type: ignore[arg-type]


@dataclass
class Turn:
    """What one chat turn produced, before it becomes an :class:`AgentResponse`."""

    kind: str
    content: str
    results: list[RegistryToolResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    confidence: float | None = None


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

    def _summary_extra(self) -> dict[str, Any]:
        """The session view shows the current plan beside the slots."""
        return {"plan": self.storage.get("plan")}

    # --- message handlers -------------------------------------------------------------------------------

    @handles("chat", record=False)
    def _chat(self, message: AgentMessage) -> AgentResponse:
        text = chat_text(message)
        self._take_preferences(message)
        known, dialog, today = self._slots(), Dialog.load(self.storage.get("dialog")), self.today()
        stored = self.storage.get("plan")
        before = self._load_plan(stored)
        extraction, focus = self._focus(self._extract(text, known, today, dialog), known, before)
        slots = self._seed_interests(known.merge(extraction.slots))
        if slots != known:
            self._save_slots(slots)
        if (slots.destination, slots.stops) != (known.destination, known.stops):
            dialog.hotel, dialog.flight = "mid-range", "best"  # a new trip starts from the usual choices
        turn, plan = self._answer(text, extraction, slots, known, before, dialog, focus)
        if extraction.warnings:
            turn.content = " ".join(extraction.warnings) + "\n\n" + turn.content
        if plan is not None and plan.to_json() != stored:
            self.storage.put("plan", plan.to_json())
        dialog.asked = list(turn.missing)
        if dialog.dump() != self.storage.get("dialog"):
            self.storage.put("dialog", dialog.dump())
        return self._response(turn, extraction, slots, plan)

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
        content = (
            f"Here's what I have so far: {summary}."
            if summary
            else "I don't know anything about your trip yet."
        )
        if missing:
            content += " Still needed: " + self._join([_ASK[item] for item in missing]) + "."
        return AgentResponse(
            type="state",
            content=content,
            metadata=ResponseMetadata(intent="state_query", timestamp=self.now()),
            data={
                "slots": slots.model_dump(mode="json", by_alias=True, exclude_none=True),
                "missing": missing,
                "plan": self.storage.get("plan"),
            },
        )

    # --- reading the message ------------------------------------------------------------------------------

    def _extract(self, text: str, known: TravelSlots, today: date, dialog: Dialog) -> Extraction:
        """The model's reading of ``text``; a pick among the last suggestions becomes the destination."""
        from pydantic import ValidationError

        from ..llm import Extraction
        from ..llm.gazetteer import gazetteer
        from ..llm.models import Intent

        try:
            extraction = self.model.extract(text, known=known, today=today, asked=tuple(dialog.asked))
        except (ValidationError, ValueError) as error:  # a provider's bad output must not fail the turn
            logger.warning("extraction failed, treating the message as unknown: %s", error)
            return Extraction(intent=Intent.UNKNOWN, confidence=0.2)
        match = _PICK.search(text.lower())
        if dialog.suggestions and match is not None and extraction.slots.destination is None:
            index = _ORDINALS.get(match["which"] or "", int(match["number"] or 1) - 1)
            name = (
                dialog.suggestions[index]
                if -len(dialog.suggestions) <= index < len(dialog.suggestions)
                else None
            )
            place = gazetteer().lookup(name) if name else None
            if place is not None:
                slots = extraction.slots.model_copy(update={"destination": place})
                return extraction.model_copy(
                    update={"slots": slots, "intent": Intent.PLAN_TRIP, "confidence": 0.85}
                )
        return extraction

    @staticmethod
    def _focus(
        extraction: Extraction, known: TravelSlots, before: TripPlan | None
    ) -> tuple[Extraction, Place | None]:
        """A follow-up about one place of the trip in hand ("what's worth seeing in Kyoto?" on a Japan trip)
        answers about that place and leaves the trip's destination as it is; details added while asking
        for flights or hotels for a planned trip update the plan."""
        from ..llm.models import Intent

        intent, mentioned = extraction.intent, extraction.slots.destination
        if before is None:
            return extraction, None
        same_place = (
            mentioned is None or known.destination is None or mentioned.name == known.destination.name
        )
        if (
            intent in (Intent.FIND_FLIGHTS, Intent.FIND_HOTELS)
            and not extraction.slots.is_empty()
            and same_place
        ):
            return extraction.model_copy(update={"intent": Intent.UPDATE_DETAILS}), None
        follow_up = intent in (
            Intent.ATTRACTIONS,
            Intent.FOOD,
            Intent.TRANSPORT,
            Intent.WEATHER,
            Intent.FIND_HOTELS,
        )
        if not follow_up or mentioned is None or known.destination is None:
            return extraction, None
        stops = {stop.name for stop in before.stops}
        region = known.destination.kind != "city" and mentioned.country == known.destination.country
        if mentioned.name not in stops and not region:
            return extraction, None
        slots = extraction.slots.model_copy(update={"destination": None, "stops": []})
        return extraction.model_copy(update={"slots": slots}), mentioned

    # --- answering ------------------------------------------------------------------------------------------

    def _answer(
        self,
        text: str,
        extraction: Extraction,
        slots: TravelSlots,
        known: TravelSlots,
        before: TripPlan | None,
        dialog: Dialog,
        focus: Place | None = None,
    ) -> tuple[Turn, TripPlan | None]:
        from ..llm import replies
        from ..llm.models import Intent

        intent = extraction.intent
        if intent is Intent.GREETING or intent is Intent.SEARCH:
            return self._single_tool(text, extraction, slots), before
        if intent is Intent.SUGGEST:
            return self._suggest(text, slots, dialog), before
        if intent.value in _NEEDS_DESTINATION and slots.destination is None:
            return self._ask_destination(text, extraction, slots), before
        if slots.destination is None:
            return Turn("answer", self._compose(text, intent, slots)), before
        changed = slots != known
        trip_intent = intent.value in _TRIP_INTENTS or intent.value in _PLAN_FOLLOW_UPS
        if intent is Intent.CHEAPER:
            return self._cheaper(text, slots, before, dialog)
        if not trip_intent:
            plan = self._build(slots, dialog)[0] if before is not None and changed else before
            cities = [focus.name] if focus is not None else self._stops(slots, plan)
            if intent is Intent.FOOD:
                return self._food(cities), plan
            if intent is Intent.TRANSPORT:
                return self._transport(cities), plan
            asked = (
                slots.model_copy(update={"destination": focus, "stops": []}) if focus is not None else slots
            )
            return self._single_tool(text, extraction, asked), plan
        results: list[RegistryToolResult] = []
        if before is not None and not changed and intent is not Intent.PLAN_TRIP:
            plan = before
        else:
            plan, results = self._build(slots, dialog)
        if plan is None:
            return Turn(
                "answer", "I couldn't put a plan together right now; please try again in a moment.", results
            ), before
        missing = self._trip_missing(slots)
        if intent is Intent.BUDGET_CHECK:
            content = replies.budget_text(plan)
        elif (
            intent is Intent.UPDATE_DETAILS
            and before is not None
            and self._small_change(before, plan, dialog)
        ):
            content = replies.changes_text(plan, before, replies.describe_changes(before, plan))
        else:
            content = replies.plan_text(plan)
        if missing:
            content = content.rstrip() + "\n\n" + self._question(slots, missing)
        return Turn("clarification" if missing else "answer", content, results, missing), plan

    @staticmethod
    def _small_change(before: TripPlan, plan: TripPlan, dialog: Dialog) -> bool:
        """A change to a complete plan of the same trip ("make it 3 adults"): answered with what changed.

        New stops, or details that complete a plan made on assumptions, get the whole plan instead.
        """
        from ..llm.replies import describe_changes

        same_trip = [stop.name for stop in before.stops] == [stop.name for stop in plan.stops]
        return same_trip and not dialog.asked and len(describe_changes(before, plan)) <= 3

    def _build(self, slots: TravelSlots, dialog: Dialog) -> tuple[TripPlan | None, list[RegistryToolResult]]:
        """A fresh plan for ``slots`` with the dialog's choices (``None`` when it cannot be built)."""
        from ..llm import trip

        frame = trip.frame(slots, self.today())
        if frame is None:
            return None, []
        calls = trip.calls(frame)
        results = self._run_tools([(call.tool, call.arguments) for call in calls])
        try:
            plan = trip.assemble(frame, [self._for_compose(r) for r in results], dialog.choices())
        except (ValueError, KeyError, TypeError):
            logger.exception("could not assemble a plan")
            return None, results
        return plan, results

    def _cheaper(
        self, text: str, slots: TravelSlots, before: TripPlan | None, dialog: Dialog
    ) -> tuple[Turn, TripPlan | None]:
        from ..llm import replies

        if before is None:
            plan, results = self._build(slots, dialog)
            if plan is None:
                return Turn("answer", "I couldn't put a plan together right now; please try again."), None
            before = plan
        else:
            results = []
        step = dialog.choices().cheaper()
        if step is None:
            return Turn("answer", replies.cheapest_already_text(before), results), before
        dialog.hotel, dialog.flight = step.hotel, step.flight
        plan, more = self._build(slots, dialog)
        if plan is None:
            return Turn(
                "answer", "I couldn't price cheaper options right now; please try again.", results + more
            ), before
        if plan.costs.total.amount >= before.costs.total.amount:
            step = dialog.choices().cheaper()
            if step is not None:
                dialog.hotel, dialog.flight = step.hotel, step.flight
                plan, more = self._build(slots, dialog)
                plan = plan or before
        if plan.costs.total.amount >= before.costs.total.amount:
            return Turn("answer", replies.cheapest_already_text(plan), results + more), plan
        return Turn("answer", replies.cheaper_text(plan, before, dialog.hotel), results + more), plan

    def _suggest(self, text: str, slots: TravelSlots, dialog: Dialog) -> Turn:
        from ..llm import replies
        from ..llm.suggest import suggest

        found = suggest(text, slots, self.today())
        dialog.suggestions = [suggestion.place.name for suggestion in found]
        month = found[0].month if found else (slots.month or self.today().month)
        return Turn("answer", replies.suggestions_text(found, month), confidence=0.8)

    def _stops(self, slots: TravelSlots, plan: TripPlan | None) -> list[str]:
        if plan is not None:
            return [stop.name for stop in plan.stops][:MAX_FOLLOW_UP_STOPS]
        from ..llm.gazetteer import gazetteer

        if slots.stops:
            return [stop.name for stop in slots.stops][:MAX_FOLLOW_UP_STOPS]
        assert slots.destination is not None
        return [place.name for place in gazetteer().stops_for(slots.destination)][:MAX_FOLLOW_UP_STOPS]

    def _food(self, cities: list[str]) -> Turn:
        from ..llm import replies
        from ..llm.local import local_facts

        results = self._run_tools(
            [("attractions", {"city": city, "interests": ["food"], "limit": 8}) for city in cities]
        )
        lines = []
        for city, result in zip(cities, results, strict=True):
            entries = (
                (result.data or {}).get("attractions", [])
                if result.ok and isinstance(result.data, dict)
                else []
            )
            notes = (
                (result.data or {}).get("notes", []) if result.ok and isinstance(result.data, dict) else []
            )
            generic = any("generic" in str(note) for note in notes)
            places = [
                f"{entry['name']}: {entry.get('description') or ''}".rstrip(": ")
                for entry in entries
                if isinstance(entry, dict) and entry.get("category") == "food" and not generic
            ][:3]
            facts = local_facts(city)
            lines.append((city, places, facts[2] if facts else None))
        offline = any(self._offline(result) for result in results)
        return Turn("answer", replies.food_text(lines, offline), results)

    def _transport(self, cities: list[str]) -> Turn:
        from ..llm import replies
        from ..llm.local import local_facts

        return Turn(
            "answer", replies.transport_text([(city, local_facts(city)) for city in cities]), confidence=0.7
        )

    def _single_tool(self, text: str, extraction: Extraction, slots: TravelSlots) -> Turn:
        """Greeting, search, weather, attractions, flights or hotels: the model's tool plan and wording."""
        from ..llm import ComposeRequest
        from ..llm.gazetteer import gazetteer
        from ..llm.trip import frame

        dated, notes = slots, []
        trip = frame(slots, self.today()) if slots.destination is not None else None
        if trip is not None:
            first = trip.stops[0].place
            dated = slots.model_copy(update={"destination": first, "stops": []})
            dated_tool = extraction.intent.value in ("find_flights", "find_hotels", "weather")
            if slots.departure_date is None and dated_tool:
                update = {"departure_date": trip.start, "duration_days": trip.nights, "month": None}
                dated = dated.model_copy(update=update).normalized()
                notes.append(trip.date_note or "")
            if slots.destination is not None and slots.destination.kind != "city":
                others = ", ".join(p.name for p in gazetteer().stops_for(slots.destination)[1:4])
                notes.append(
                    f"for {slots.destination.name} I used {first.name}"
                    + (f" (also: {others})" if others else "")
                )
        calls = self.model.plan(extraction, dated)
        results = self._run_tools([(call.tool, call.arguments) for call in calls])
        missing: list[str] = [] if calls else list(slots.missing(extraction.intent))
        content = self.model.compose(
            ComposeRequest(
                message=text,
                intent=extraction.intent,
                slots=dated,
                missing=missing,  # type: ignore[arg-type]
                tool_results=[self._for_compose(result) for result in results],
            )
        )
        notes = [note for note in notes if note]
        if notes:
            content = content.rstrip() + "\n\n(" + "; ".join(notes) + ".)"
        kind = "clarification" if missing else "answer"
        return Turn(kind, content, results, missing)

    def _ask_destination(self, text: str, extraction: Extraction, slots: TravelSlots) -> Turn:
        from ..llm import ComposeRequest

        content = self.model.compose(
            ComposeRequest(
                message=text, intent=extraction.intent, slots=slots, missing=slots.missing(extraction.intent)
            )
        )
        return Turn("clarification", content, missing=["destination"], confidence=0.6)

    def _compose(self, text: str, intent: Intent, slots: TravelSlots) -> str:
        from ..llm import ComposeRequest

        return self.model.compose(ComposeRequest(message=text, intent=intent, slots=slots))

    # --- slots and preferences --------------------------------------------------------------------------

    def _slots(self) -> TravelSlots:
        from ..llm import TravelSlots

        return TravelSlots.model_validate(self.storage.get("slots") or {})

    @staticmethod
    def _load_plan(stored: Any) -> TripPlan | None:
        from pydantic import ValidationError

        from ..llm.plan import TripPlan

        if not isinstance(stored, dict):
            return None
        try:
            return TripPlan.model_validate(stored)
        except ValidationError:
            return None  # a plan stored by an older layout is rebuilt on the next trip turn

    def _save_slots(self, slots: TravelSlots) -> None:
        self.storage.put("slots", slots.model_dump(mode="json", by_alias=True, exclude_none=True))

    def _validate_slots(self, slots: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        from ..llm import TravelSlots

        try:
            checked = TravelSlots.model_validate(slots).normalized()
        except ValidationError as error:
            raise InvalidMessage(f"invalid extractedSlots: {error.errors()[0]['msg']}") from None
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
        sources: dict[str, Source] = {}
        for result in results:
            if result.ok and result.source is not None:
                source = result.source
                name = f"{result.tool}:{source.name}"
                sources.setdefault(
                    name, Source(name=name, url=source.url, offline=source.offline, note=source.note or None)
                )
        return list(sources.values())

    # --- responses --------------------------------------------------------------------------------------

    def _response(
        self, turn: Turn, extraction: Extraction, slots: TravelSlots, plan: TripPlan | None
    ) -> AgentResponse:
        results = turn.results
        failed = sorted({result.tool for result in results if not result.ok})
        confidence = turn.confidence
        if confidence is None:
            confidence = extraction.confidence
            if results:
                confidence *= 0.5 + 0.5 * sum(result.ok for result in results) / len(results)
            if turn.missing:
                confidence *= 0.8
        return AgentResponse(
            type=turn.kind,  # type: ignore[arg-type]
            content=turn.content,
            confidence=round(min(max(confidence, 0.0), 1.0), 3),
            sources=self._sources(results),
            metadata=ResponseMetadata(
                intent=extraction.intent.value,
                tools_used=list(dict.fromkeys(result.tool for result in results)),
                timestamp=self.now(),
                failedTools=failed,
            ),
            data={
                "slots": slots.model_dump(mode="json", by_alias=True, exclude_none=True),
                "missing": turn.missing,
                "tools": self._tool_summaries(results),
                "plan": plan.to_json() if plan is not None else None,
            },
        )

    def _tool_summaries(self, results: list[RegistryToolResult]) -> list[dict[str, Any]]:
        summaries: list[dict[str, Any]] = []
        for result in results:
            summary: dict[str, Any] = {"tool": result.tool, "ok": result.ok, "offline": self._offline(result)}
            if result.error:
                summary["error"] = result.error
            if summary not in summaries:
                summaries.append(summary)
        return summaries

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
        if slots.stops:
            facts.append("stops " + ", ".join(stop.name for stop in slots.stops))
        elif slots.destination is not None:
            facts.append(f"destination {slots.destination.label()}")
        if slots.origin is not None:
            facts.append(f"from {slots.origin.label()}")
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
