"""``BaseAgent``: the durable object every agent is (the seed's ``BaseAgentDO``).

What it gives a subclass:

- ``handle_message(message)``: dispatch on ``message.type`` to the methods marked ``@handles("type")``;
  an unknown type raises :class:`UnsupportedMessageType` listing the supported ones. Unless a handler
  says otherwise (``record=False``), the message and the response are appended to ``storage.history``
  as two :class:`HistoryEntry` items, except for a message a conversation routed here
  (``context.conversationId`` set): the conversation keeps the transcript, so it is not stored twice.
- ``get_state()`` (read-only: no lease), ``update_state(updates)`` (only ``preferences``, ``context`` and
  ``extractedSlots``), ``health()`` (read-only), ``summary()`` (read-only: the slots, plus what a
  subclass adds in :meth:`BaseAgent._summary_extra`), ``wipe()`` (delete everything the agent stores).
- :meth:`BaseAgent.route`, the seed's ``fetch`` as a table: ``(HTTP method, path) -> RPC method name``.
- schedules (:class:`~durable_agents.runtime.schedules.Scheduling`): ``self.schedule(...)``,
  ``self.schedule_every(...)``, ``self.cancel_schedule(id)``, ``self.list_schedules()``.

State layout (each a storage key, all small): ``meta`` (createdAt, lastUpdated), ``slots``,
``preferences``, ``context``, ``holdUntil`` (epoch ms: when the last repeating schedule ends). The
history lives in ``storage.history`` only, never in one value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from ..runtime import Scheduling, rpc
from .errors import InvalidMessage, MethodNotAllowed, NotFound, UnsupportedMessageType
from .models import MAX_MESSAGE_CHARS, AgentMessage, AgentResponse, AgentState, HistoryEntry, utc_now

VERSION = "0.1.0"
"""Reported by ``health()``: the agents' code and state-layout version."""

HISTORY_WINDOW = 20
"""Entries ``get_state`` returns (the runtime keeps the last 20 inline, so reading them is free)."""

HISTORY_CONTENT_BYTES = 3800
"""A history entry's text is clipped to this many UTF-8 bytes, so that each entry stays small enough
to be kept inline (the runtime inlines entries up to 4 KB) and ``get_state`` costs one request."""

MAX_FIELD_BYTES = 16 * 1024
"""Largest ``preferences`` / ``context`` / ``extractedSlots`` value, as JSON."""

UPDATABLE: dict[str, str] = {
    "preferences": "preferences",
    "context": "context",
    "extractedSlots": "slots",
    "extracted_slots": "slots",
}
"""``update_state`` keys (JSON and Python spellings) and the storage key each one writes."""

ROUTES: dict[str, dict[str, str]] = {
    "/message": {"POST": "handle_message"},
    "/state": {"GET": "get_state"},
    "/health": {"GET": "health", "HEAD": "health"},
}
"""The seed's ``fetch`` routes: path -> HTTP method -> RPC method."""

HOLD_KEY = "holdUntil"
"""Storage key: when (epoch ms) the last repeating schedule an agent set ends (a price watch)."""

F = TypeVar("F", bound=Callable[..., Any])
_HANDLES = "__agent_handles__"


@dataclass(frozen=True)
class _Handles:
    types: tuple[str, ...]
    record: bool


def handles(*types: str, record: bool = True) -> Callable[[F], F]:
    """Mark a method as the handler of these message types: ``handler(self, message) -> AgentResponse``.

    ``record=False`` when the handler writes the history itself (or must not write it).
    """

    def mark(method: F) -> F:
        setattr(method, _HANDLES, _Handles(types, record))
        return method

    return mark


def iso(moment: datetime) -> str:
    return moment.isoformat()


def parse_time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def clip(text: str, max_bytes: int = HISTORY_CONTENT_BYTES) -> str:
    """``text`` cut to ``max_bytes`` of UTF-8 (with an ellipsis when cut)."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore").rstrip() + "…"


def message_text(message: AgentMessage) -> str:
    """The message's content as one string (JSON for structured content)."""
    content = message.content
    if isinstance(content, str):
        return content
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False, default=str)


def chat_text(message: AgentMessage) -> str:
    """The text of a chat message: the content string, or ``content["message"]`` / ``content["text"]``."""
    content: Any = message.content
    if isinstance(content, dict):
        content = content.get("message", content.get("text"))
    if not isinstance(content, str) or not content.strip():
        raise InvalidMessage("a chat message needs non-empty text content")
    if len(content) > MAX_MESSAGE_CHARS:
        raise InvalidMessage(f"a chat message is at most {MAX_MESSAGE_CHARS} characters")
    return content.strip()


def content_dict(message: AgentMessage) -> dict[str, Any]:
    if not isinstance(message.content, dict):
        raise InvalidMessage(f"a {message.type} message needs an object as content")
    return message.content


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode())


def merge_fields(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with ``update``'s keys on top; a ``None`` value removes the key."""
    merged = dict(current)
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


class BaseAgent(Scheduling):
    """An agent: a durable object that answers :class:`AgentMessage` s (see the module documentation)."""

    clock: ClassVar[Callable[[], datetime]] = staticmethod(utc_now)
    """The agents' time (UTC); tests replace it to move time forward."""

    _handlers: ClassVar[dict[str, tuple[str, bool]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, tuple[str, bool]] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                spec = getattr(value, _HANDLES, None)
                if isinstance(spec, _Handles):
                    for message_type in spec.types:
                        table[message_type] = (attribute, spec.record)
        cls._handlers = table

    # --- routing ----------------------------------------------------------------------------------------

    @classmethod
    def supported_types(cls) -> list[str]:
        """The message types ``handle_message`` accepts."""
        return sorted(cls._handlers)

    @classmethod
    def route(cls, method: str, path: str) -> str:
        """The RPC method for an HTTP-style request: ``("POST", "/message") -> "handle_message"``.

        Raises :class:`NotFound` for an unknown path and :class:`MethodNotAllowed` (with ``allowed``)
        for a known path asked with another method.
        """
        normalized = "/" + path.strip().strip("/")
        methods = ROUTES.get(normalized)
        if methods is None:
            raise NotFound(f"no route {path!r}; routes: {', '.join(ROUTES)}")
        target = methods.get(method.strip().upper())
        if target is None:
            raise MethodNotAllowed(
                f"{method.upper()} is not allowed on {normalized}; allowed: {', '.join(sorted(methods))}",
                sorted(methods),
            )
        return target

    # --- RPC --------------------------------------------------------------------------------------------

    @rpc
    def handle_message(self, message: AgentMessage) -> AgentResponse:
        """Answer ``message`` with the handler of its type, and record both sides in the history."""
        entry = self._handlers.get(message.type)
        if entry is None:
            raise UnsupportedMessageType(
                f"{type(self).__name__} does not handle {message.type!r} messages; "
                f"supported types: {', '.join(self.supported_types())}"
            )
        attribute, record = entry
        response: AgentResponse = getattr(self, attribute)(message)
        if record and message.context.conversation_id is None:
            self._record_exchange(message, response)
        self._touch()
        return response

    @rpc(read_only=True)
    def get_state(self) -> AgentState:
        """The agent's state: ids, times, the last 20 history entries, slots, preferences, context."""
        return self._state()

    @rpc
    def update_state(self, updates: dict[str, Any]) -> AgentState:
        """Merge ``updates`` into ``preferences``, ``context`` and/or ``extractedSlots``.

        Each value is an object merged key by key into the current one (``null`` removes a key). Any
        other field is refused with :class:`InvalidMessage` and nothing is changed.
        """
        refused = sorted(key for key in updates if key not in UPDATABLE)
        if refused:
            raise InvalidMessage(
                f"cannot update {', '.join(refused)}; updatable fields: preferences, context, extractedSlots"
            )
        for key, value in updates.items():
            if not isinstance(value, dict):
                raise InvalidMessage(f"{key} must be an object")
            storage_key = UPDATABLE[key]
            merged = merge_fields(self.storage.get(storage_key) or {}, value)
            if storage_key == "slots":
                merged = self._validate_slots(merged)
            if json_size(merged) > MAX_FIELD_BYTES:
                raise InvalidMessage(f"{key} would be larger than {MAX_FIELD_BYTES} bytes")
            self._store_field(storage_key, merged)
        self._touch()
        return self._state()

    @rpc(read_only=True)
    def summary(self) -> dict[str, Any]:
        """What a session view shows of this agent: ``{"slots": ..., **_summary_extra()}``."""
        return {"slots": self.storage.get("slots") or {}, **self._summary_extra()}

    @rpc
    def wipe(self) -> dict[str, Any]:
        """Delete every value and the whole history of this agent, and its alarm (its schedules), for good."""
        self.storage.delete_all()
        self.storage.delete_alarm()
        return {"wiped": self.name}

    @rpc(read_only=True)
    def schedules_until(self) -> int:
        """When (epoch ms) the last of this agent's pending schedules is due, or a repeating one it
        recorded in ``holdUntil`` ends, ``0`` for none: what keeps its session from expiring while a
        reminder or a watch is still to come. Two small keys (no listing): cheap on every turn."""
        index: dict[str, int] = self.storage.get("schedules") or {}
        held: int = self.storage.get(HOLD_KEY) or 0
        return max([held, *index.values()])

    @rpc(read_only=True)
    def health(self) -> dict[str, Any]:
        return {
            "status": "healthy",
            "agent": type(self).__name__,
            "id": self.name,
            "historyLength": len(self.storage.history),
            "version": VERSION,
            "supportedTypes": self.supported_types(),
        }

    # --- helpers for subclasses -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The object's name (``travel:<session>``, ...), or its hex id for an unnamed object."""
        return self.id.name if self.id.name is not None else self.id.hex

    def name_suffix(self, prefix: str) -> str:
        """The part of the name after ``<prefix>:`` (the whole name when it has no such prefix)."""
        head = f"{prefix}:"
        has_prefix = self.name.startswith(head) and len(self.name) > len(head)
        return self.name[len(head) :] if has_prefix else self.name

    def now(self) -> datetime:
        return type(self).clock()

    def append_history(self, role: str, message_id: str, content: str, entry_type: str) -> None:
        entry = HistoryEntry(
            role=role,  # type: ignore[arg-type]
            message_id=message_id,
            content=clip(content),
            type=entry_type,
            timestamp=self.now(),
        )
        self.storage.history.append(entry)

    def recent_history(self, n: int = HISTORY_WINDOW) -> list[HistoryEntry]:
        return [HistoryEntry.model_validate(entry) for entry in self.storage.history.recent(n)]

    def _record_exchange(self, message: AgentMessage, response: AgentResponse) -> None:
        self.append_history("user", message.id, message_text(message), message.type)
        self.append_history("agent", message.id, response.content, response.type)

    def _touch(self) -> None:
        meta = self.storage.get("meta") or {}
        now = iso(self.now())
        self.storage.put("meta", {"createdAt": meta.get("createdAt", now), "lastUpdated": now})

    def _store_field(self, storage_key: str, value: dict[str, Any]) -> None:
        if value:
            self.storage.put(storage_key, value)
        else:
            self.storage.delete(storage_key)

    def _validate_slots(self, slots: dict[str, Any]) -> dict[str, Any]:
        """Check (and normalise) ``extractedSlots`` before it is stored; subclasses with a schema override."""
        return slots

    def _summary_extra(self) -> dict[str, Any]:
        """What :meth:`summary` adds to the slots; subclasses with more to show override it."""
        return {}

    def _hold_until(self, end_ms: int) -> None:
        """Record that a repeating schedule runs until ``end_ms`` (see :meth:`schedules_until`)."""
        if end_ms > (self.storage.get(HOLD_KEY) or 0):
            self.storage.put(HOLD_KEY, end_ms)

    def _state_context(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The ``context`` ``get_state`` shows; subclasses add what they keep elsewhere."""
        return stored

    def _state(self) -> AgentState:
        values = self.storage.get(["meta", "slots", "preferences", "context"])
        meta = values.get("meta") or {}
        now = self.now()
        return AgentState(
            id=self.name,
            created_at=parse_time(meta.get("createdAt")) or now,
            last_updated=parse_time(meta.get("lastUpdated")) or now,
            conversation_history=self.recent_history(),
            history_length=len(self.storage.history),
            extracted_slots=values.get("slots") or {},
            preferences=values.get("preferences") or {},
            context=self._state_context(values.get("context") or {}),
        )
