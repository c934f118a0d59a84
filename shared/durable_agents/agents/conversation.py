"""``ConversationManager`` (binding CONVERSATION_MANAGER, name ``conversation:<sessionKey>``).

The conversation behind ``/chat``: it belongs to one user, routes each message to the right agent and
keeps the conversation's transcript, both sides of every exchange, in its history (the agents it routes
to keep only what they need: the travel agent its slots and plan, not a second transcript). Its name is
the session key (:func:`~durable_agents.agents.factory.session_key` of the owner and the session id),
and so are the names of its agents: ``travel:<sessionKey>``, ``scraping:<sessionKey>``.

Storage: ``conversation`` (the record: ``conversationId`` (the session key), ``sessionId`` (the id the
client sees), ``incarnation`` (the session's, in the user's SessionManager), ``ownerUserId``, ``agents``,
``startedAt``, ``lastActivity``, ``title``), ``preferences``,
``coordinations`` and ``coordination:<id>``; the transcript is ``storage.history``
(:class:`~durable_agents.agents.models.HistoryEntry` items).

- ``start_conversation(user_id, session_id, agents=None)``: records the owner, the session id, the
  active agents (``["travel"]`` by default; ``scraping`` joins when asked for, when a page message
  arrives or when a coordination uses it) and the user's preferences, fetched once from the user's
  SessionManager. The session is registered there *joined* to this turn (``register_session``), so it
  is listed exactly when the conversation exists. Starting again is harmless for the owner and
  :class:`Forbidden` for anyone else.
- **The session list decides.** Every turn that starts or routes checks the session's incarnation in
  the user's SessionManager (``session_status``, read-only, no lease): a session ended, evicted or
  expired there (or opened again since, as another incarnation) is not this conversation's any more,
  so the old conversation and its agents are wiped in this very turn and the message starts a fresh
  one. Nothing of a deleted session can be reached, even before its erasure has run. That read is made
  *beside* the turn's acquire (:meth:`ConversationManager.beside_acquire`), in parallel, so it costs
  no step of its own; being from before the lease, it is trusted only when it says "live, as the
  incarnation this conversation holds": a conversation record only ever gets an incarnation read
  under its lease while that incarnation was live, and incarnations are never reused, so a record
  still holding it means its erasure (which takes this lease, after the session's end committed) has
  not run yet and will wipe whatever this turn writes. Any other answer (not live, another
  incarnation, no record yet) is read again under the lease, as before.
- ``route_message(message, agent=None)``: the first message starts the conversation (its owner is
  ``message.context.user_id``, its session ``message.context.session_id``); a message from another user,
  or without a user id, is :class:`Forbidden` and changes nothing. The message goes to ``agent`` or the
  best one (chat -> ``travel``, ``scrape`` / ``scrape_many`` -> ``scraping``) as a call *joined* to
  this turn: the agent's changes and this conversation's transcript commit together or not at all,
  so a turn is never in one object and missing from the other, and a retry (the API's turn key makes
  every ``/chat`` call keyed) replays the recorded answer without running the agent again. The record
  keeps the conversation's activity and title (the trip's destination); the user's SessionManager is
  told when the title changes and at most hourly otherwise (a call of its own: the user's other
  sessions are not held up by this one); a session it no longer knows is not opened again.
- ``notify(message_id, text, kind)``: a message an agent sends without being asked (a reminder, an
  alert), added to the transcript as an agent turn.
- ``transcript(limit, before)`` (read-only): a page of the transcript, newest page first, oldest turn
  first within it; ``session_view(limit, before)`` (read-only): the record, the travel agent's slots
  and plan, and that page. ``delete_session()``: wipes this conversation and its agents for good;
  ``erase_session(incarnation)``: the same, only if the conversation is still that incarnation (what
  ``DELETE /sessions/{id}`` and the SessionManager's sweep call, after the session's record is gone).
- ``coordinate_agents(message, agents)``: one task per agent (the travel agent answers the message;
  the scraping agent fetches pages about the destination: ``content.urls`` when given, else the
  destination's :attr:`ConversationManager.destination_pages`). With
  ``settings.coordination_state_machine_arn`` set, a Step Functions execution named after the
  coordination id runs them and calls ``record_coordination`` (the record is ``pending`` until then);
  otherwise the tasks run here, in parallel, and are recorded directly (not through a stub: that
  would call back into this object, which the runtime refuses as re-entrant). The coordination id is
  derived from the conversation and the message id, so a retried message does not start a second one.
- ``record_coordination(coordination_id, results)``: the state machine's last step. Builds one
  ``type="coordination"`` response from the answers (failed branches listed in ``metadata.failedAgents``
  and in the text), stores it and appends it to the history; a second call for the same id changes
  nothing and returns the stored record.
- ``get_coordination(coordination_id)`` (read-only).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar
from urllib.parse import quote

from ..runtime import Env, ObjectStub, rpc
from ..runtime.errors import DurableObjectError, ObjectCallError, UnknownBinding
from .base import BaseAgent, chat_text, clip, handles, iso, message_text, parse_time
from .errors import Forbidden, InvalidMessage, NotFound
from .factory import KIND_BY_BINDING, KINDS, AgentFactory, object_name
from .live import LiveConversation
from .models import AgentContext, AgentMessage, AgentResponse, HistoryEntry, ResponseMetadata, Source
from .session import ANONYMOUS_PREFIX

ROUTABLE = ("travel", "scraping")
"""Agents a conversation can route to and coordinate."""
SCRAPING_TYPES = frozenset({"scrape", "scrape_many"})
COORDINATIONS_KEPT = 10
MAX_COORDINATION_URLS = 5
TRANSCRIPT_PAGE = 20
MAX_TRANSCRIPT_PAGE = 100


def _destination_name(response: AgentResponse) -> str | None:
    """The trip's destination an agent's answer reports (``data.slots.destination.name``), if any."""
    slots = (response.data or {}).get("slots")
    destination = slots.get("destination") if isinstance(slots, dict) else None
    name = destination.get("name") if isinstance(destination, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def coordination_id(conversation: str, message_id: str) -> str:
    """The id of the coordination a message starts (also its Step Functions execution name)."""
    return hashlib.sha256(f"{conversation}\x00{message_id}".encode()).hexdigest()[:32]


class ConversationManager(BaseAgent, LiveConversation):
    """One conversation: owner, routing, history, coordination (see the module documentation)."""

    destination_pages: ClassVar[tuple[str, ...]] = ("https://en.wikivoyage.org/wiki/{name}",)
    """Pages the scraping agent reads about a destination in a coordination (``{name}`` is URL-quoted)."""
    session_touch_seconds: ClassVar[float] = 3600.0
    """How often (at most) routing refreshes the session in the SessionManager (its expiry clock)."""

    @property
    def session_key(self) -> str:
        """The key naming this conversation and its agents (the name after ``conversation:``)."""
        return self.name_suffix("conversation")

    @classmethod
    def beside_acquire(
        cls, env: Env, method: str, args: list[Any], kwargs: Mapping[str, Any]
    ) -> Callable[[], dict[str, Any]] | None:
        """What a turn routing a message reads beside its acquire (see the module documentation): the
        session's status in its owner's SessionManager, as ``{owner, sessionId, live, incarnation}``.

        Args:
            env: the runtime's environment.
            method: the RPC method called.
            args: its positional arguments (as sent: a message may still be a dict).
            kwargs: its keyword arguments.

        Returns:
            The read to start, or ``None`` when the call routes no message of a known session owner.
        """
        if method not in ("route_message", "handle_message", "coordinate_agents"):
            return None
        raw = args[0] if args else kwargs.get("message")
        message = AgentMessage.model_validate(raw) if isinstance(raw, dict) else raw
        if not isinstance(message, AgentMessage):
            return None
        owner, session_id = message.context.user_id, message.context.session_id
        if not owner or not session_id or owner.startswith(ANONYMOUS_PREFIX):
            return None
        try:
            stub = AgentFactory(env).session_manager(owner)
        except UnknownBinding:
            return None

        def read() -> dict[str, Any]:
            return {"owner": owner, "sessionId": session_id, **stub.session_status(session_id)}

        return read

    # --- RPC --------------------------------------------------------------------------------------------

    @rpc
    def start_conversation(
        self, user_id: str, session_id: str, agents: list[str] | None = None
    ) -> dict[str, Any]:
        record = self._start(user_id, session_id, agents)
        self._touch()
        return record

    @rpc
    def route_message(self, message: AgentMessage, agent: str | None = None) -> AgentResponse:
        record = self._start(message.context.user_id, message.context.session_id, None)
        kind = self._select(message, agent)
        stub = AgentFactory(self.env).stub(kind, self.session_key)
        forwarded = self._forward(message)
        with self._streaming():
            response = AgentResponse.model_validate(stub.call("handle_message", forwarded, join=True))
        self.append_history("user", message.id, message_text(message), message.type)
        self.append_history("agent", message.id, response.content, response.type)
        self._announce_turn(message, response)
        self._activity(record, kind, title=_destination_name(response))
        self._touch()
        return response

    @rpc
    def notify(self, message_id: str, text: str, kind: str = "notice") -> dict[str, Any]:
        """Add a message from an agent that nobody asked for (a reminder, a price alert) to the transcript,
        as an ``agent`` turn of type ``kind``; the chat page shows it on its next look. Agents call it
        joined to their own turn (``join=True``), so the message appears exactly when their change
        commits. ``message_id`` makes it idempotent: a message already in the recent transcript is not
        added again. It counts as activity, as a routed turn does (an expired session is not opened
        again: its erasure is on its way). :class:`NotFound` if the conversation was never started."""
        record = self.storage.get("conversation")
        if record is None:
            raise NotFound("no such conversation")
        if any(entry.message_id == message_id for entry in self.recent_history()):
            return {"added": False, "messageId": message_id}
        self.append_history("agent", message_id, text, kind)
        self._activity(record)
        self._announce({"type": "push", "messageId": message_id, "kind": kind, "text": text})
        return {"added": True, "messageId": message_id}

    @rpc(read_only=True)
    def transcript(self, limit: int = TRANSCRIPT_PAGE, before: int | None = None) -> dict[str, Any]:
        """The ``limit`` turns before sequence number ``before`` (default: the newest), oldest first, and
        the cursor of the page before them (``None`` at the start of the conversation)."""
        if not 1 <= limit <= MAX_TRANSCRIPT_PAGE:
            raise InvalidMessage(f"limit must be 1-{MAX_TRANSCRIPT_PAGE}")
        if before is not None and before < 1:
            raise InvalidMessage("before must be a positive sequence number")
        entries = self.storage.history.list(end=before, limit=limit, reverse=True)[::-1]
        turns = [{"seq": seq, **HistoryEntry.model_validate(entry).to_json()} for seq, entry in entries]
        first = entries[0][0] if entries else None
        return {"turns": turns, "nextCursor": first if first is not None and first > 1 else None}

    @rpc(read_only=True)
    def session_view(self, limit: int = TRANSCRIPT_PAGE, before: int | None = None) -> dict[str, Any]:
        """What ``GET /sessions/{id}`` shows: the record, the trip (slots and plan), a transcript page.
        :class:`NotFound` when the conversation was never started (or was deleted)."""
        record = self.storage.get("conversation")
        if record is None:
            raise NotFound("no such session")
        page = self.transcript(limit, before)
        trip = AgentFactory(self.env).travel_agent(self.session_key).summary()
        return {
            "sessionId": record["sessionId"],
            "title": record.get("title"),
            "createdAt": record["startedAt"],
            "lastActivity": record["lastActivity"],
            "slots": trip.get("slots") or {},
            "plan": trip.get("plan"),
            **page,
        }

    @rpc
    def delete_session(self) -> dict[str, Any]:
        """Wipe this conversation and every agent of its session, for good, in one commit (``deleted``:
        whether the conversation existed)."""
        existed = self.storage.get("conversation") is not None
        self._wipe()
        return {"deleted": existed}

    @rpc
    def erase_session(self, incarnation: str | None) -> dict[str, Any]:
        """Wipe this conversation and its agents, in one commit, if it belongs to the session
        ``incarnation`` (``None``: a session from before incarnations); another incarnation (the id
        opened again since) or no conversation is left alone. ``erased``: whether it wiped."""
        record = self.storage.get("conversation")
        if record is None or record.get("incarnation") != incarnation:
            return {"erased": False}
        self._wipe()
        return {"erased": True}

    @rpc
    def coordinate_agents(self, message: AgentMessage, agents: list[str]) -> dict[str, Any]:
        record = self._start(message.context.user_id, message.context.session_id, None)
        kinds = self._agents(agents)
        cid = coordination_id(self.name, message.id)
        existing: dict[str, Any] | None = self.storage.get(f"coordination:{cid}")
        if existing is not None:
            return existing
        text = chat_text(message)
        tasks, skipped = self._tasks(cid, message, text, kinds)
        if not tasks:
            raise InvalidMessage("nothing to coordinate: " + "; ".join(s["reason"] for s in skipped))
        coordination: dict[str, Any] = {
            "coordinationId": cid,
            "messageId": message.id,
            "status": "pending",
            "agents": [KIND_BY_BINDING[task["namespace"]] for task in tasks],
            "tasks": [{key: task[key] for key in ("namespace", "name", "method")} for task in tasks],
            "skipped": skipped,
            "startedAt": iso(self.now()),
        }
        self.append_history("user", message.id, text, "coordinate_agents")
        arn = self.env.settings.coordination_state_machine_arn
        if arn:
            coordination["executionArn"] = self._start_execution(arn, cid, tasks)
            self._save_coordination(coordination)
        else:
            results = self._run_in_process(tasks)
            self._save_coordination(coordination)
            coordination = self._record_coordination(cid, results)
        self._activity(record, *coordination["agents"])
        self._touch()
        return coordination

    @rpc
    def record_coordination(self, coordination_id: str, results: list[dict[str, Any]]) -> dict[str, Any]:
        record = self._record_coordination(coordination_id, results)
        self._touch()
        return record

    @rpc(read_only=True)
    def get_coordination(self, coordination_id: str) -> dict[str, Any]:
        record: dict[str, Any] | None = self.storage.get(f"coordination:{coordination_id}")
        if record is None:
            raise NotFound(f"no coordination {coordination_id!r} in this conversation")
        return record

    # --- messages ---------------------------------------------------------------------------------------

    @handles("chat", "scrape", "scrape_many", record=False)
    def _route_handler(self, message: AgentMessage) -> AgentResponse:
        return self.route_message(message)

    @handles("start_conversation")
    def _start_handler(self, message: AgentMessage) -> AgentResponse:
        content = message.content if isinstance(message.content, dict) else {}
        agents = content.get("agents")
        if agents is not None and not isinstance(agents, list):
            raise InvalidMessage("content.agents must be a list of agent names")
        record = self.start_conversation(
            message.context.user_id or "", message.context.session_id or self.session_key, agents
        )
        return AgentResponse(
            type="state",
            content=f"Conversation {record['conversationId']} with {', '.join(record['agents'])}.",
            metadata=ResponseMetadata(intent="start_conversation", timestamp=self.now()),
            data=record,
        )

    @handles("coordinate_agents", record=False)
    def _coordinate_handler(self, message: AgentMessage) -> AgentResponse:
        content: Any = message.content
        agents: Any = list(ROUTABLE)
        if isinstance(content, dict):
            agents = content.get("agents", agents)
            text = content.get("message", content.get("text"))
            extra = {"urls": content["urls"]} if "urls" in content else {}
            content = {"message": text, **extra} if extra else text
        if not isinstance(agents, list):
            raise InvalidMessage("content.agents must be a list of agent names")
        inner = message.model_copy(update={"type": "chat", "content": content if content is not None else ""})
        coordination = self.coordinate_agents(inner, agents)
        stored = coordination.get("response")
        if stored is not None:
            response = AgentResponse.model_validate(stored)
            return response.model_copy(update={"data": coordination})
        return AgentResponse(
            type="coordination",
            content=f"Working on it: {', '.join(coordination['agents'])} are on the task.",
            confidence=0.5,
            metadata=ResponseMetadata(
                intent="coordination", timestamp=self.now(), coordination_id=coordination["coordinationId"]
            ),
            data=coordination,
        )

    # --- the conversation record ------------------------------------------------------------------------

    def _start(self, user_id: str | None, session_id: str | None, agents: list[str] | None) -> dict[str, Any]:
        """The conversation record, created on first use (or afresh when its session is gone from the
        user's SessionManager); checks the caller owns it."""
        record: dict[str, Any] | None = self.storage.get("conversation")
        wanted = self._agents(agents) if agents is not None else []
        if record is not None and not self._session_is_live(record):
            self._wipe()  # ended, evicted or expired: nothing of it is reachable; start afresh
            session_id = session_id or record["sessionId"]
            record = None
        if record is not None:
            owner = record.get("ownerUserId")
            if not user_id:
                raise Forbidden("this conversation belongs to a user; the message carries no user id")
            if user_id != owner:
                raise Forbidden("this conversation belongs to another user")
            if session_id is not None and session_id != record["sessionId"]:
                raise InvalidMessage(
                    f"this conversation belongs to session {record['sessionId']!r}, not {session_id!r}"
                )
            missing = [kind for kind in wanted if kind not in record["agents"]]
            if missing:
                record = {**record, "agents": [*record["agents"], *missing]}
                self.storage.put("conversation", record)
            return record
        if not user_id:
            raise InvalidMessage("a conversation is started by a message with context.userId")
        session = session_id or self.session_key
        incarnation, preferences = self._open_session(user_id, session)
        now = iso(self.now())
        record = {
            "conversationId": self.session_key,
            "sessionId": session,
            "incarnation": incarnation,
            "ownerUserId": user_id,
            "agents": wanted or ["travel"],
            "startedAt": now,
            "lastActivity": now,
        }
        self.storage.put("conversation", record)
        if preferences:
            self.storage.put("preferences", preferences)
        return record

    def _session_manager(self, user_id: str) -> ObjectStub | None:
        """The user's SessionManager (``None`` for an anonymous owner, or when none is bound)."""
        if user_id.startswith(ANONYMOUS_PREFIX):
            return None
        try:
            return AgentFactory(self.env).session_manager(user_id)
        except UnknownBinding:
            return None

    def _open_session(self, user_id: str, session_id: str) -> tuple[str | None, dict[str, Any]]:
        """The session's incarnation and the user's preferences: the live session of that id (the API
        opened it), or one registered now, joined to this turn (listed exactly when this commits)."""
        stub = self._session_manager(user_id)
        if stub is None:
            return None, {}
        status = stub.session_status(session_id)  # under the lease, never the read beside it
        if status["live"]:
            incarnation, preferences = status["incarnation"], stub.get_preferences()
        else:
            opened = stub.call("register_session", user_id, session_id, join=True)
            incarnation, preferences = opened["incarnation"], opened["preferences"]
        return incarnation, preferences if isinstance(preferences, dict) else {}

    def _session_is_live(self, record: dict[str, Any]) -> bool:
        """Whether the user's SessionManager still has this conversation's session, as this incarnation
        (always, for an owner without a SessionManager)."""
        stub = self._session_manager(record["ownerUserId"])
        if stub is None:
            return True
        early = self._status_read_beside()
        if (
            early is not None
            and early.get("owner") == record["ownerUserId"]
            and early.get("sessionId") == record["sessionId"]
            and early.get("live") is True
            and early.get("incarnation") == record.get("incarnation")
        ):
            return True  # validated by the record (see the module documentation)
        status = stub.session_status(record["sessionId"])
        return bool(status["live"]) and status["incarnation"] == record.get("incarnation")

    def _status_read_beside(self) -> dict[str, Any] | None:
        """The session status read beside this turn's acquire (``None``: none, or it failed)."""
        future = self.ctx.beside
        if future is None:
            return None
        try:
            status = future.result()
        except Exception:  # noqa: BLE001 - read again under the lease, which reports its own error
            return None
        return status if isinstance(status, dict) else None

    def _wipe(self) -> None:
        """Delete this conversation and every agent of its session (their writes join this turn)."""
        factory = AgentFactory(self.env)
        for kind in ROUTABLE:
            factory.stub(kind, self.session_key).call("wipe", join=True)
        self.storage.delete_all()

    def _activity(self, record: dict[str, Any], *kinds: str, title: str | None = None) -> dict[str, Any]:
        """Record a routed turn: the conversation's activity (and the agents it used, and the trip's title).
        The user's SessionManager hears of it when the title changes or the travel agent's pending
        reminders and watches end at another time (they keep the session from expiring before they are
        done), and otherwise at most every :attr:`session_touch_seconds` (to keep the session from
        expiring): the session list takes each session's exact activity from its conversation."""
        now = self.now()
        changed = bool(title) and title != record.get("title")
        record = {**record, "lastActivity": iso(now)}
        record["agents"] = list(dict.fromkeys([*record["agents"], *kinds]))
        if title:
            record["title"] = title
        if "travel" in kinds:
            hold = int(AgentFactory(self.env).travel_agent(self.session_key).schedules_until())
            changed = changed or hold != record.get("holdUntil", 0)
            record["holdUntil"] = hold
        touched = parse_time(record.get("sessionTouchedAt"))
        if changed or touched is None or (now - touched).total_seconds() >= self.session_touch_seconds:
            self._refresh_session(record)
            record["sessionTouchedAt"] = iso(now)
        self.storage.put("conversation", record)
        return record

    def _refresh_session(self, record: dict[str, Any]) -> None:
        stub = self._session_manager(record["ownerUserId"])
        if stub is None:
            return
        try:
            stub.touch_session(
                record["sessionId"], record.get("title"), record.get("incarnation"), record.get("holdUntil")
            )
        except (NotFound, ObjectCallError) as error:
            if isinstance(error, ObjectCallError) and error.error_type != "NotFound":
                raise
            # ended meanwhile (this turn began before): never reopened here; its erasure follows

    def _summary_extra(self) -> dict[str, Any]:
        record = self.storage.get("conversation") or {}
        return {key: record[key] for key in ("sessionId", "title", "lastActivity") if key in record}

    def _agents(self, agents: list[str]) -> list[str]:
        unknown = [agent for agent in agents if agent not in ROUTABLE]
        if unknown or not agents:
            raise InvalidMessage(f"agents must be a non-empty list of {', '.join(ROUTABLE)}; got {agents!r}")
        return list(dict.fromkeys(agents))

    def _select(self, message: AgentMessage, agent: str | None) -> str:
        if agent is not None:
            if agent not in ROUTABLE:
                raise InvalidMessage(f"unknown agent {agent!r}; agents: {', '.join(ROUTABLE)}")
            return agent
        return "scraping" if message.type in SCRAPING_TYPES else "travel"

    def _forward(self, message: AgentMessage, message_id: str | None = None) -> AgentMessage:
        """``message`` as the agents get it: this session in its context, the user's preferences along."""
        metadata = dict(message.context.metadata)
        preferences = self.storage.get("preferences")
        if preferences:
            metadata["preferences"] = preferences
        context = AgentContext(
            session_id=self.session_key,
            user_id=message.context.user_id,
            conversation_id=self.session_key,
            metadata=metadata,
        )
        update: dict[str, Any] = {"context": context}
        if message_id is not None:
            update["id"] = message_id
        return message.model_copy(update=update)

    def _state_context(self, stored: dict[str, Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        record = self.storage.get("conversation")
        if record is not None:
            extra["conversation"] = record
        coordinations = self.storage.get("coordinations")
        if coordinations:
            extra["coordinations"] = coordinations
        return {**stored, **extra}

    # --- coordination -----------------------------------------------------------------------------------

    def _tasks(
        self, cid: str, message: AgentMessage, text: str, kinds: list[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        tasks: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        for kind in kinds:
            key = f"{cid}:{kind}"
            if kind == "travel":
                inner = self._forward(message.model_copy(update={"type": "chat", "content": text}), key)
            else:
                urls = self._pages(message, text)
                if not urls:
                    skipped.append({"agent": kind, "reason": "no destination known yet, so no pages to read"})
                    continue
                inner = self._forward(
                    message.model_copy(update={"type": "scrape_many", "content": {"urls": urls}}), key
                )
            tasks.append(
                {
                    "namespace": KINDS[kind].binding,
                    "name": object_name(kind, self.session_key),
                    "method": "handle_message",
                    "args": [inner.model_dump(mode="json", by_alias=True)],
                    "kwargs": {},
                    "idempotencyKey": key,
                }
            )
        return tasks, skipped

    def _pages(self, message: AgentMessage, text: str) -> list[str]:
        content = message.content
        if isinstance(content, dict) and isinstance(content.get("urls"), list):
            return [url for url in content["urls"] if isinstance(url, str)][:MAX_COORDINATION_URLS]
        destination = self._destination(text)
        if destination is None:
            return []
        name = quote(destination.replace(" ", "_"))
        return [template.format(name=name) for template in self.destination_pages][:MAX_COORDINATION_URLS]

    def _destination(self, text: str) -> str | None:
        """The trip's destination: stated in ``text``, else the one the travel agent already knows."""
        from pydantic import ValidationError

        from ..llm import TravelSlots
        from .travel import TravelAgent

        known = TravelSlots()
        try:
            state = AgentFactory(self.env).travel_agent(self.session_key).get_state()
            known = TravelSlots.model_validate(state.get("extractedSlots") or {})
        except (DurableObjectError, ValidationError):
            pass
        model = TravelAgent.model_for(self.env.settings)
        extraction = model.extract(text, known=known, today=self.now().date())
        destination = known.merge(extraction.slots).destination
        return destination.name if destination is not None else None

    def _start_execution(self, arn: str, cid: str, tasks: list[dict[str, Any]]) -> str:
        payload = {
            "coordinationId": cid,
            "conversation": {"namespace": self.id.namespace, "name": self.name},
            "tasks": tasks,
        }
        client = self.env.stepfunctions
        try:
            response = client.start_execution(stateMachineArn=arn, name=cid, input=json.dumps(payload))
        except client.exceptions.ExecutionAlreadyExists:
            # started by an earlier attempt of this very message (its turn did not commit)
            return arn.replace(":stateMachine:", ":execution:", 1) + f":{cid}"
        return str(response["executionArn"])

    def _run_in_process(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run the tasks in parallel through stubs, each in a copy of this turn's context (call chain)."""
        with ThreadPoolExecutor(max_workers=len(tasks), thread_name_prefix="coordination") as pool:
            futures = [pool.submit(contextvars.copy_context().run, self._run_task, task) for task in tasks]
            return [future.result() for future in futures]

    def _run_task(self, task: dict[str, Any]) -> dict[str, Any]:
        try:
            stub = self.env.namespace(task["namespace"]).get_by_name(task["name"])
            result = stub.call(
                task["method"], *task["args"], idempotency_key=task.get("idempotencyKey"), **task["kwargs"]
            )
        except Exception as error:  # noqa: BLE001 - a failed branch is an outcome (a Step Functions Catch)
            return {"ok": False, "task": task, "error": {"type": type(error).__name__, "cause": str(error)}}
        return {"ok": True, "task": task, "result": result}

    def _record_coordination(self, cid: str, results: list[dict[str, Any]]) -> dict[str, Any]:
        key = f"coordination:{cid}"
        existing: dict[str, Any] | None = self.storage.get(key)
        if existing is not None and existing.get("status") == "completed":
            return {**existing, "recorded": cid}
        response, outcomes, failed = self._combine(cid, results)
        base = existing or {"coordinationId": cid, "messageId": cid, "startedAt": iso(self.now())}
        record = {
            **base,
            "status": "completed",
            "completedAt": iso(self.now()),
            "outcomes": outcomes,
            "failed": failed,
            "response": response.to_json(),
        }
        self._save_coordination(record)
        self.append_history("agent", record["messageId"], response.content, response.type)
        return {**record, "recorded": cid}

    def _save_coordination(self, record: dict[str, Any]) -> None:
        cid = record["coordinationId"]
        index: list[str] = [c for c in (self.storage.get("coordinations") or []) if c != cid] + [cid]
        dropped = index[:-COORDINATIONS_KEPT]
        if dropped:
            self.storage.delete([f"coordination:{old}" for old in dropped])
        self.storage.put({"coordinations": index[-COORDINATIONS_KEPT:], f"coordination:{cid}": record})

    def _combine(
        self, cid: str, results: list[dict[str, Any]]
    ) -> tuple[AgentResponse, list[dict[str, Any]], list[dict[str, Any]]]:
        """One response from the branches' outcomes: each answer's section, the failures named."""
        from pydantic import ValidationError

        sections: list[str] = []
        sources: list[Source] = []
        tools: list[str] = []
        confidences: list[float] = []
        outcomes: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for outcome in results:
            task: dict[str, Any] = outcome["task"] if isinstance(outcome.get("task"), dict) else {}
            kind = KIND_BY_BINDING.get(str(task.get("namespace")), str(task.get("namespace") or "agent"))
            answer: AgentResponse | None = None
            error: dict[str, str] | None = None
            if outcome.get("ok"):
                try:
                    answer = AgentResponse.model_validate(outcome.get("result"))
                except ValidationError:
                    cause = f"{kind} answered with something that is not a response"
                    error = {"type": "InvalidAnswer", "cause": cause}
            else:
                raw: dict[str, Any] = outcome["error"] if isinstance(outcome.get("error"), dict) else {}
                error = {"type": str(raw.get("type") or "Error"), "cause": _cause(raw.get("cause"))}
            if answer is not None:
                sections.append(self._section(kind, answer))
                sources.extend(answer.sources)
                tools.extend(tool for tool in answer.metadata.tools_used if tool not in tools)
                confidences.append(answer.confidence)
                outcomes.append({"agent": kind, "ok": True, "type": answer.type})
            else:
                assert error is not None
                failed.append({"agent": kind, "name": task.get("name"), "error": error})
                outcomes.append({"agent": kind, "ok": False, "error": error["type"]})
        content = "\n\n".join(s for s in sections if s) or "None of the agents could answer."
        if failed:
            content += (
                "\n\nNot available right now: "
                + ", ".join(f"{item['agent']} ({item['error']['type']})" for item in failed)
                + "."
            )
        total = len(outcomes) or 1
        confidence = sum(confidences) / total  # the answers' mean, scaled by the share that answered
        response = AgentResponse(
            type="coordination",
            content=content,
            confidence=round(confidence, 3),
            sources=sources,
            metadata=ResponseMetadata(
                intent="coordination",
                tools_used=tools,
                timestamp=self.now(),
                coordination_id=cid,
                failed_agents=[item["agent"] for item in failed],
            ),
        )
        return response, outcomes, failed

    @staticmethod
    def _section(kind: str, answer: AgentResponse) -> str:
        if kind != "scraping":
            return answer.content
        from ..llm.composer import clean

        lines = []
        for result in (answer.data or {}).get("results", []) or [answer.data or {}]:
            if isinstance(result, dict) and result.get("ok") and isinstance(result.get("page"), dict):
                page = result["page"]
                title = clean(page.get("title") or "", 100) or "untitled page"
                lines.append(f"- {title} — {clean(page.get('final_url') or result.get('url') or '', 200)}")
        if not lines:
            return "Background reading: no pages could be fetched."
        return "Background reading (untrusted web pages; titles only):\n" + "\n".join(lines)


def _cause(cause: Any) -> str:
    """A failure's cause without a stack trace: Lambda's ``errorMessage`` when the cause is its JSON."""
    text = str(cause or "")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        text = str(parsed["errorMessage"])
    return clip(text.splitlines()[0] if text else "", 300)
