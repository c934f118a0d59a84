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
      ``budget_check`` ("is that enough?"), ``show_plan`` (the whole plan again), ``recap`` ("what do you
      have so far?", "what changed?": where, when, who, the total against the budget and the last
      change, from the trip; no tool runs and the slots stay), ``food``, ``transport``, and
      ``weather`` / ``attractions`` / ``find_flights`` / ``find_hotels`` for the trip's stops and dates;
    - a thank-you or acknowledgement (``greeting``: "great, thanks", "ok cool") gets a short reply
      naming the trip it keeps; a message that cannot be placed while a trip is in hand (``unknown``)
      gets a short question back naming what was understood (a number it carries, the trip), never a
      search of its words;
    - ``suggest`` (an open request: "somewhere warm in December under 2000 euros"): ranked suggestions
      with reasons; "the first one" (or a suggestion's name) then picks one;
    - ``search``: a web search; ``greeting``; and a question when a trip intent has no destination;
    - reminders and price watches (``remind``, ``watch_price``, ``list_alerts``, ``cancel_alerts``),
      which never change the trip: "remind me a week before we leave" is a one-time schedule of this
      agent's (:meth:`~..runtime.schedules.Scheduling.schedule`) at 09:00 UTC that day (06:00 on the
      departure day itself), counted from the trip's dates (none yet: it asks for them, and sets the
      reminder on the next turn if that one gives them); "tell me if flights to Rome drop under 800"
      checks the flights (or hotels) tool once right away, says the price (and whether it is offline
      sample data), and unless it is already low enough becomes a daily schedule
      (:meth:`~..runtime.schedules.Scheduling.schedule_every`); "what reminders do I have?", "stop
      watching prices", "cancel reminder 2" list and cancel them from ``list_schedules()`` (a failed one
      too, said so). The wording is :mod:`..llm.alert_replies`, the timing and payloads :mod:`..llm.alerts`.

    When a schedule falls due the runtime calls :meth:`TravelAgent.send_reminder` or
    :meth:`TravelAgent.check_price` in an alarm turn: a reminder, or a price at or under the threshold
    (the watch then ends), becomes a message in the conversation (``ConversationManager.notify``,
    joined to the alarm turn, so it appears exactly when the schedule's advance commits); a watch whose
    date has passed, or that ran :data:`~..llm.alerts.WATCH_DAYS` days, ends and says so.

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
``dialog`` (what was last asked, the suggestions last shown, the chosen hotel level and flights, a
reminder waiting for the trip's dates), ``preferences`` and ``meta``; and its schedules (at most
:data:`MAX_ALERTS` pending, a few hundred bytes each: ``schedule:<id>`` and ``schedules``, the runtime's
keys), which are its reminders and watches: nothing about them is copied anywhere else. No
transcript: the ConversationManager keeps the conversation's, so chat turns are not recorded in this
object's history (a reminder fired for an agent messaged directly, with no conversation, is). No
response cache: an answer is a write billed by its size, and a conversation rarely repeats the same
question with the same trip, so a cache costs more writes than the tool calls it would save (offline
tools are cheap; live ones are called only when the trip changes or the user asks).

The language model and the tool registry come from the settings, created once per process; tests
set :attr:`TravelAgent.language_model` / :attr:`TravelAgent.tool_registry` to inject their own.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from ..runtime.alarms import MAX_AHEAD_DAYS
from .base import BaseAgent, chat_text, content_dict, handles, json_size
from .errors import InvalidMessage
from .models import AgentMessage, AgentResponse, ResponseMetadata, Source

if TYPE_CHECKING:
    from ..config import Settings
    from ..llm import Extraction, LanguageModel, Place, TravelSlots
    from ..llm.alert_replies import Listed
    from ..llm.models import AlertKind, AlertSelection, Intent, PriceWatchRequest, ReminderRequest
    from ..llm.models import ToolResult as ComposeToolResult
    from ..llm.plan import PlanPlace, TripPlan
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
_NUMBER = re.compile(r"\d[\d,]{0,12}(?:st|nd|rd|th)?")
"""A number as written in a message ("1500", "1,500"), named back when the message cannot be placed."""
_PICK = re.compile(
    r"\b(?:the\s+)?(?P<which>first|second|third|fourth|fifth|last|top|1st|2nd|3rd|4th|5th)\s+(?:one|option|idea|"
    r"suggestion|choice|place)\b|\b(?:option|number|no\.?|#)\s*(?P<number>[1-5])\b"
)
_ORDINALS = {"first": 0, "top": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
             "4th": 3,
             "fifth": 4, "5th": 4, "last": -1}  # fmt: skip
MAX_FOLLOW_UP_STOPS = 3
REMINDER_METHOD = "send_reminder"
"""The schedule callback of a reminder (a one-time schedule)."""
WATCH_METHOD = "check_price"
"""The schedule callback of a price watch (a daily schedule)."""
WATCH_EVERY_SECONDS = 86_400
MAX_ALERTS = 10


def reminder_too_far_text(due: datetime) -> str:
    """The answer to a reminder further ahead than the runtime's alarms reach (``MAX_AHEAD_DAYS``)."""
    return (
        f"I can't set a reminder for {due:%a, %b %d, %Y}: reminders can be at most {MAX_AHEAD_DAYS} days "
        "ahead. Ask me again when it is closer."
    )


"""Pending reminders and price watches one conversation keeps (each is a small key of its own)."""

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
    changes: list[str] = field(default_factory=list)
    """What the last change to the plan changed, in words ("3 adults (was 2)"): a recap names it."""
    pending: dict[str, Any] | None = None
    """A reminder asked for before the trip had dates (a ``ReminderRequest`` as JSON): it is set on
    the next turn if that one gives the dates, and forgotten otherwise."""

    @classmethod
    def load(cls, stored: Any) -> Dialog:
        data = stored if isinstance(stored, dict) else {}
        pending = data.get("pending")
        return cls(
            asked=[str(item) for item in data.get("asked", [])][:4],
            suggestions=[str(item)[:80] for item in data.get("suggestions", [])][:5],
            hotel=str(data.get("hotel", "mid-range")),
            flight=str(data.get("flight", "best")),
            changes=[str(item)[:200] for item in data.get("changes", [])][:5],
            pending=pending if isinstance(pending, dict) else None,
        )

    def dump(self) -> dict[str, Any]:
        dumped: dict[str, Any] = {
            "asked": self.asked,
            "suggestions": self.suggestions,
            "hotel": self.hotel,
            "flight": self.flight,
        }
        if self.changes:
            dumped["changes"] = self.changes
        if self.pending is not None:
            dumped["pending"] = self.pending
        return dumped

    def choices(self) -> Choices:
        from ..llm.trip import HOTEL_LEVELS, Choices

        hotel = self.hotel if self.hotel in HOTEL_LEVELS else "mid-range"
        return Choices(hotel, "cheapest" if self.flight == "cheapest" else "best")


class _TooManyAlerts(Exception):
    """A new reminder or watch past :data:`MAX_ALERTS` (its writes are undone)."""


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
        from ..llm.models import ALERT_INTENTS

        text = chat_text(message)
        self._take_preferences(message)
        known, dialog, today = self._slots(), Dialog.load(self.storage.get("dialog")), self.today()
        stored = self.storage.get("plan")
        before = self._load_plan(stored)
        extraction, focus = self._focus(self._extract(text, known, today, dialog), known, before)
        pending, dialog.pending = dialog.pending, None
        if extraction.intent in ALERT_INTENTS:  # about reminders and watches: the trip stays as it is
            turn, slots, plan = self._alert_turn(extraction, known, dialog, message), known, before
        else:
            slots = self._seed_interests(known.merge(extraction.slots))
            if slots != known:
                self._save_slots(slots)
            if (slots.destination, slots.stops) != (known.destination, known.stops):
                dialog.hotel, dialog.flight = "mid-range", "best"  # a new trip starts from the usual choices
            turn, plan = self._answer(text, extraction, slots, known, before, dialog, focus)
            if pending is not None and slots.departure_date is not None:
                self._remind_later(turn, pending, slots, dialog, message)
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
                failed_tools=[] if result.ok else [tool],
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
        known = self._summary(slots)
        content = self._so_far(slots) if known else "I don't know anything about your trip yet."
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

    # --- schedule callbacks (run by the runtime in an alarm turn) ------------------------------------------

    def send_reminder(self, payload: dict[str, Any]) -> None:
        """A reminder is due: its message goes into the conversation, committed with the schedule's end."""
        from ..llm.alert_replies import reminder_message
        from ..llm.alerts import ReminderPayload

        reminder = ReminderPayload.model_validate(payload)
        key = self._delivery_key(self._own(REMINDER_METHOD, payload))
        self._tell(reminder.conversation, reminder_message(reminder, self.now()), "reminder", key)

    def check_price(self, payload: dict[str, Any]) -> None:
        """A price watch's daily check: at or under the threshold, the conversation is told and the watch
        ends; a failed check waits for the next day; a watch whose date has passed ends and says so."""
        from ..llm import alert_replies as words
        from ..llm.alerts import WatchPayload, cheapest

        watch = WatchPayload.model_validate(payload)
        if watch.until is not None and self.today() > watch.until:
            key = self._end_own_watch(payload)
            self._tell(watch.conversation, words.watch_ended_text(watch), "notice", key)
            return
        (result,) = self._run_tools([(watch.tool, watch.arguments)])
        price = cheapest(watch, result.data) if result.ok else None
        if price is None:
            logger.warning("price check of %s found no price (%s)", watch.route, result.error)
            return
        if price.amount > watch.below:
            return
        key = self._end_own_watch(payload)  # before telling: the call joined last cannot be undone
        alert = words.price_alert_text(watch, price, self._offline(result))
        self._tell(watch.conversation, alert, "price_alert", key)

    # --- reminders and price watches -----------------------------------------------------------------------

    def _alert_turn(
        self, extraction: Extraction, trip: TravelSlots, dialog: Dialog, message: AgentMessage
    ) -> Turn:
        """A reminder, a price watch, or a list or cancellation of them (the trip itself is not changed)."""
        from ..llm.models import AlertSelection, Intent, PriceWatchRequest, ReminderRequest

        conversation = message.context.conversation_id
        if extraction.intent is Intent.REMIND:
            return self._remind(extraction.reminder or ReminderRequest(), trip, dialog, conversation)
        if extraction.intent is Intent.WATCH_PRICE:
            return self._watch(extraction.watch or PriceWatchRequest(), extraction.slots, trip, conversation)
        selection = extraction.alerts or AlertSelection()
        if extraction.intent is Intent.LIST_ALERTS:
            from ..llm.alert_replies import list_text

            return Turn("answer", list_text(self._listed(), selection.kind, self.now()), confidence=0.9)
        return self._cancel_alerts(selection, extraction.slots)

    def _remind(
        self, request: ReminderRequest, trip: TravelSlots, dialog: Dialog, conversation: str | None
    ) -> Turn:
        from ..llm import alert_replies as words
        from ..llm.alerts import plan_reminder

        now = self.now()
        reminder = plan_reminder(request, trip, now, conversation)
        if isinstance(reminder, str):
            if reminder in ("dates", "return"):
                dialog.pending = request.model_dump(mode="json", exclude_none=True)
            missing = ["dates"] if reminder == "dates" else []
            question = words.reminder_needs_text(reminder, request)
            return Turn("clarification", question, missing=missing, confidence=0.8)
        if reminder.due <= now:
            return Turn("answer", words.reminder_past_text(reminder, now), confidence=0.8)
        if reminder.due > now + timedelta(days=MAX_AHEAD_DAYS):
            return Turn("answer", reminder_too_far_text(reminder.due), confidence=0.8)
        payload = reminder.payload.to_json()
        added = self._add_alert(lambda: self.schedule(reminder.due, REMINDER_METHOD, payload))
        if added is None:
            return Turn("answer", words.too_many_text(MAX_ALERTS), confidence=0.8)
        return Turn("answer", words.reminder_set_text(reminder, now, existed=added), confidence=0.9)

    def _remind_later(
        self, turn: Turn, pending: dict[str, Any], trip: TravelSlots, dialog: Dialog, message: AgentMessage
    ) -> None:
        """The reminder asked for before the trip had dates, now that it has them (said after the answer)."""
        from pydantic import ValidationError

        from ..llm.models import ReminderRequest

        try:
            request = ReminderRequest.model_validate(pending)
        except ValidationError:
            return
        later = self._remind(request, trip, dialog, message.context.conversation_id)
        turn.content = turn.content.rstrip() + "\n\n" + later.content

    def _watch(
        self, request: PriceWatchRequest, stated: TravelSlots, trip: TravelSlots, conversation: str | None
    ) -> Turn:
        """Check the price once now; already at or under the threshold: say so; else watch it daily."""
        from ..llm import alert_replies as words
        from ..llm.alerts import cheapest, plan_watch

        watch = plan_watch(request, stated, trip, self.today(), conversation)
        if isinstance(watch, str):
            return Turn("clarification", words.watch_needs_text(watch), confidence=0.7)
        (result,) = self._run_tools([(watch.tool, watch.arguments)])
        price = cheapest(watch, result.data) if result.ok else None
        if price is None:
            error = result.error or f"no prices in {watch.currency}"
            return Turn("answer", words.watch_unchecked_text(watch, error), [result], confidence=0.5)
        offline = self._offline(result)
        if price.amount <= watch.below:
            return Turn("answer", words.watch_met_text(watch, price, offline), [result])
        payload = watch.to_json()
        added = self._add_alert(lambda: self.schedule_every(WATCH_EVERY_SECONDS, WATCH_METHOD, payload))
        if added is None:
            return Turn("answer", words.too_many_text(MAX_ALERTS), [result], confidence=0.8)
        if watch.until is not None:  # its last daily check is the day after: the session is kept till then
            last = datetime.combine(watch.until + timedelta(days=2), datetime.min.time(), UTC)
            self._hold_until(int(last.timestamp() * 1000))
        return Turn("answer", words.watch_started_text(watch, price, offline, existed=added), [result])

    def _cancel_alerts(self, selection: AlertSelection, stated: TravelSlots) -> Turn:
        """Cancel the reminders or watches ``selection`` (and a place the message named) picks; several
        where one was meant: ask which."""
        from ..llm import alert_replies as words

        now = self.now()
        candidates = [item for item in self._listed() if selection.kind in ("any", item.kind)]
        if stated.destination is not None:
            candidates = [item for item in candidates if item.mentions(stated.destination.name)]
        if selection.number is not None:
            candidates = [item for item in candidates if item.number == selection.number]
        if not candidates:
            return Turn("answer", words.nothing_to_cancel_text(selection.kind), confidence=0.8)
        if len(candidates) > 1 and not selection.every:
            return Turn("clarification", words.which_one_text(candidates, now), confidence=0.7)
        for item in candidates:
            self.cancel_schedule(item.schedule_id)
        return Turn("answer", words.cancelled_text(candidates, now), confidence=0.9)

    def _listed(self) -> list[Listed]:
        """This agent's reminders and price watches, numbered within each kind as the list shows them."""
        from datetime import UTC, datetime

        from pydantic import ValidationError

        from ..llm.alert_replies import Listed
        from ..llm.alerts import ReminderPayload, WatchPayload

        listed: list[Listed] = []
        counts = {"reminder": 0, "watch": 0}
        kinds: dict[str, AlertKind] = {REMINDER_METHOD: "reminder", WATCH_METHOD: "watch"}
        for record in self.list_schedules():
            kind = kinds.get(record.get("method", ""))
            if kind is None:
                continue
            try:
                reminder = ReminderPayload.model_validate(record["payload"]) if kind == "reminder" else None
                watch = WatchPayload.model_validate(record["payload"]) if kind == "watch" else None
            except ValidationError:
                logger.warning("schedule %s has a payload this agent cannot read", record.get("id"))
                continue
            counts[kind] += 1
            listed.append(
                Listed(
                    schedule_id=record["id"],
                    kind=kind,
                    number=counts[kind],
                    due=datetime.fromtimestamp(record["due"] / 1000, UTC),
                    failed=record.get("status") == "failed",
                    reminder=reminder,
                    watch=watch,
                )
            )
        return listed

    def _add_alert(self, add: Callable[[], dict[str, Any]]) -> bool | None:
        """Run ``add`` (a ``schedule`` call): whether the schedule existed already (asked again: it is
        kept, not doubled), or ``None`` when it is new and :data:`MAX_ALERTS` are pending (then nothing
        it wrote is kept)."""
        listed = self._listed()
        before = {item.schedule_id for item in listed}
        full = sum(not item.failed for item in listed) >= MAX_ALERTS

        def attempt(_: object) -> dict[str, Any]:
            record = add()
            if full and record["id"] not in before:
                raise _TooManyAlerts
            return record

        try:
            record = self.storage.transaction(attempt)
        except _TooManyAlerts:
            return None
        return record["id"] in before

    def _own(self, method: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The schedule record whose callback is running (found by method and payload)."""
        return next(
            (r for r in self.list_schedules() if r.get("method") == method and r.get("payload") == payload),
            None,
        )

    def _delivery_key(self, record: dict[str, Any] | None) -> str:
        """The message id of one delivery (schedule and due time): the conversation adds it once."""
        if record is None:
            return f"alert:{self.now().isoformat()}"
        return f"alert:{record['id']}:{record['due']}"

    def _end_own_watch(self, payload: dict[str, Any]) -> str:
        """End the watch whose check is running (with this alarm turn's commit); its delivery key."""
        record = self._own(WATCH_METHOD, payload)
        if record is not None:
            self.cancel_schedule(record["id"])
        return self._delivery_key(record)

    def _tell(self, conversation: str | None, text: str, kind: str, message_id: str) -> None:
        """Add ``text`` to the conversation's transcript, joined to this turn (so it appears exactly when
        the alarm turn commits); a conversation that no longer exists is told nothing. Without a
        conversation (the agent was messaged directly) it goes into this agent's own history."""
        from ..runtime.errors import ObjectCallError
        from .errors import NotFound
        from .factory import AgentFactory

        if conversation is None:
            self.append_history("agent", message_id, text, kind)
            return
        try:
            stub = AgentFactory(self.env).conversation(conversation)
            stub.call("notify", message_id, text, kind, join=True)
        except (NotFound, ObjectCallError) as error:
            if isinstance(error, ObjectCallError) and error.error_type != "NotFound":
                raise
            logger.warning("conversation %s no longer exists: its %s was not delivered", conversation, kind)

    # --- reading the message ------------------------------------------------------------------------------

    def _extract(self, text: str, known: TravelSlots, today: date, dialog: Dialog) -> Extraction:
        """The model's reading of ``text``; a pick among the last suggestions becomes the destination."""
        from pydantic import ValidationError

        from ..llm import Extraction
        from ..llm.gazetteer import gazetteer
        from ..llm.models import ALERT_INTENTS, Intent

        try:
            extraction = self.model.extract(text, known=known, today=today, asked=tuple(dialog.asked))
        except (ValidationError, ValueError) as error:  # a provider's bad output must not fail the turn
            logger.warning("extraction failed, treating the message as unknown: %s", error)
            return Extraction(intent=Intent.UNKNOWN, confidence=0.2)
        match = _PICK.search(text.lower())
        picking = extraction.slots.destination is None and extraction.intent not in ALERT_INTENTS
        if dialog.suggestions and match is not None and picking:  # not "cancel the second one"
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
        if intent is Intent.RECAP:  # a question about the trip in hand: answered from it, no tool runs
            return self._recap(slots, before, dialog), before
        if intent is Intent.UNKNOWN and extraction.slots.is_empty() and not known.is_empty():
            return self._unplaced(text, slots, before), before
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
            cities = [focus] if focus is not None else self._stops(slots, plan)
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
        if before is not None and plan is not before:
            dialog.changes = replies.describe_changes(before, plan)[:5] or dialog.changes
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

    def _recap(self, slots: TravelSlots, plan: TripPlan | None, dialog: Dialog) -> Turn:
        """A recap of the trip in hand ("what do you have so far?", "what changed?"): from the plan, else
        from the details known so far; the slots stay as they are and no tool runs."""
        from ..llm import replies

        if plan is not None:
            return Turn("answer", replies.recap_text(plan, dialog.changes), confidence=0.9)
        return Turn("answer", self._so_far(slots), confidence=0.8)

    def _unplaced(self, text: str, slots: TravelSlots, plan: TripPlan | None) -> Turn:
        """A message that could not be placed, with a trip in hand: a short question back naming what
        was understood (a number it carries, the trip), never a search of the words."""
        from ..llm import replies

        trip = plan.summary if plan is not None else (self._summary(slots) or None)
        currency = slots.budget.currency if slots.budget is not None else (plan.currency if plan else "USD")
        numbers = [number.strip(",") for number in _NUMBER.findall(text[:500])]
        return Turn("clarification", replies.unplaced_text(trip, numbers, currency), confidence=0.4)

    def _so_far(self, slots: TravelSlots) -> str:
        """The trip's details known so far in a sentence, and what is still needed."""
        summary = self._summary(slots)
        if not summary:
            return "We haven't started a trip yet: tell me where you'd like to go, and when."
        content = f"Here's what I have so far: {summary}."
        missing = self._all_missing(slots)
        if missing:
            content += " Still needed: " + self._join([_ASK[item] for item in missing]) + "."
        return content

    def _suggest(self, text: str, slots: TravelSlots, dialog: Dialog) -> Turn:
        from ..llm import replies
        from ..llm.suggest import suggest

        found = suggest(text, slots, self.today())
        dialog.suggestions = [suggestion.place.name for suggestion in found]
        month = found[0].month if found else (slots.month or self.today().month)
        return Turn("answer", replies.suggestions_text(found, month), confidence=0.8)

    def _stops(self, slots: TravelSlots, plan: TripPlan | None) -> Sequence[Place | PlanPlace]:
        """The places of the trip a follow-up is about (the plan's stops, else the slots')."""
        if plan is not None:
            return list(plan.stops[:MAX_FOLLOW_UP_STOPS])
        from ..llm.gazetteer import gazetteer

        if slots.stops:
            return list(slots.stops[:MAX_FOLLOW_UP_STOPS])
        assert slots.destination is not None
        return gazetteer().stops_for(slots.destination)[:MAX_FOLLOW_UP_STOPS]

    def _food(self, cities: Sequence[Place | PlanPlace]) -> Turn:
        from ..llm import replies
        from ..llm.local import local_facts

        results = self._run_tools(
            [("attractions", {"city": city.query(), "interests": ["food"], "limit": 8}) for city in cities]
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
            facts = local_facts(city.name, city.country)
            lines.append((city.name, places, facts[2] if facts else None))
        offline = any(self._offline(result) for result in results)
        return Turn("answer", replies.food_text(lines, offline), results)

    def _transport(self, cities: Sequence[Place | PlanPlace]) -> Turn:
        from ..llm import replies
        from ..llm.local import local_facts

        facts = [(city.name, local_facts(city.name, city.country)) for city in cities]
        return Turn("answer", replies.transport_text(facts), confidence=0.7)

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
                failed_tools=failed,
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
