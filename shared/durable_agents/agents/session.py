"""``SessionManager`` (binding SESSION_MANAGER, name ``session:<userId>``): a user's sessions and preferences.

Storage (one key per session, so touching one session rewrites only its own small record):

``s:<sessionId>``
    ``{sessionId, incarnation, createdAt, lastActivity, title?, holdUntil?}``; ``incarnation`` is
    random, new each time the id is opened (a session deleted, evicted or expired and then opened again
    under the same id is another incarnation: its conversation starts afresh); ``title`` is the trip's
    destination, set by the conversation, which also refreshes ``lastActivity`` (at most hourly: it is
    the session's expiry clock) and ``holdUntil`` (epoch ms: when the last of the session's pending
    reminders and price watches is done; a session does not expire before it has had its idle days after
    that). Views add ``expiresAt`` (``SESSION_IDLE_DAYS`` after the last activity or hold, for the
    current setting); :meth:`SessionManager.list_sessions` takes each session's exact activity and title
    from its conversation (read-only calls, side by side).
``erasing``
    ``{incarnation: sessionKey}`` of the sessions ended, evicted or expired whose objects are still to be
    erased: written in the same commit that drops the session's record, so an erasure is never lost.
``user``
    The user id (an alarm turn knows its object by its hex id only, not by its name).
``preferences``
    The user's preferences, shared by all their sessions: a new conversation copies them when it starts
    (the ConversationManager asks :meth:`SessionManager.get_preferences`).

Beside these, the manager's partition holds the claims of the user's ``/chat`` ``Idempotency-Key`` s
(runtime idempotency records, :mod:`~durable_agents.runtime.claims`: the API claims each key here, beside
the acquire of the call it goes with, so one key is one request across all the user's sessions).

A session's objects are named by :func:`~durable_agents.agents.factory.session_key` of the user and the
session id, so the ids are the user's own namespace: the same id in another user's manager is another
session. A new session without an id gets a random one (never derived from client input). Expired
sessions are never listed or touched. At most :data:`MAX_SESSIONS` live sessions are kept (starting one
more ends the least recently active).

**One set of sessions.** What ``/sessions`` lists, what ``/chat`` reaches and what ``DELETE`` erases are
the same sessions: ending a session (``end_session``), evicting it (the 51st) or its expiry drops its
record and queues its incarnation in ``erasing``, in one commit; the manager's alarm
(:meth:`SessionManager.alarm`, due at once while anything is queued, else at the next expiry) expires
idle sessions and erases each queued one's objects
(:meth:`~durable_agents.agents.conversation.ConversationManager.erase_session`, which wipes the
conversation and its agents only if they still belong to that incarnation). Until then nothing of it
is reachable: the conversation checks its incarnation against this manager (:meth:`session_status`,
read-only) at every turn and starts afresh, wiping the old state, when the session is not live.

A user id starting with :data:`ANONYMOUS_PREFIX` (an anonymous caller of the local stack, who owns just
the one session) has no session manager.

Message types (``handle_message``; the reply is ``type="state"`` with the method's result in ``data``):
``start_session`` (content ``{sessionId?, preferences?}``), ``touch_session`` / ``end_session``
(``{sessionId}``), ``list_sessions``, ``set_preferences`` (``{preferences, replace?}``),
``get_preferences``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ..runtime import AlarmInfo, clock, rpc
from ..runtime.alarms import MAX_AHEAD_MS
from .base import BaseAgent, handles, iso, json_size, merge_fields, parse_time
from .errors import Forbidden, InvalidMessage, NotFound
from .models import AgentMessage, AgentResponse, ResponseMetadata

MAX_SESSIONS = 50
MAX_PREFERENCES_BYTES = 4096
MAX_SESSION_ID = 128
MAX_TITLE_CHARS = 120
ANONYMOUS_PREFIX = "anonymous:"
"""User ids of anonymous local callers (``anonymous:<sessionId>``): they own one session and no manager."""
SESSION_PREFIX = "s:"
ERASING = "erasing"
ERASURES_PER_ALARM = 20
"""Erasures one alarm turn makes (each is a turn of the session's conversation); more run straight after."""


class SessionManager(BaseAgent):
    """A user's sessions, their expiry, and the user's preferences (see the module documentation)."""

    # --- RPC --------------------------------------------------------------------------------------------

    @rpc
    def start_session(
        self, user_id: str, session_id: str | None = None, preferences: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The live session ``session_id`` (its activity refreshed), or a new one (a random id if none given).

        ``preferences``, when given, are merged into the user's preferences.
        """
        return self._view(self._open(user_id, session_id, preferences))

    @rpc
    def register_session(self, user_id: str, session_id: str) -> dict[str, Any]:
        """What a conversation starting (or starting afresh) calls, joined to its turn, so the session is
        listed exactly when the conversation's first turn commits: the session opened (or refreshed),
        its ``incarnation`` and the user's ``preferences``."""
        record = self._open(user_id, session_id, None)
        return {"incarnation": record.get("incarnation"), "preferences": self.get_preferences()}

    @rpc
    def touch_session(
        self,
        session_id: str,
        title: str | None = None,
        incarnation: str | None = None,
        hold_until: int | None = None,
    ) -> dict[str, Any]:
        """Record activity on a live session (and its ``title``, when given; ``hold_until``: when the last
        of its pending reminders and watches is due, epoch ms, ``0`` for none); :class:`NotFound` if it
        is unknown, ended or expired, or (``incarnation`` given) is another incarnation of that id."""
        record = self._live(session_id)
        if record is None or (incarnation is not None and record.get("incarnation") != incarnation):
            raise NotFound(f"no live session {session_id!r}")
        record = {**_stored(record), "lastActivity": iso(self.now())}
        if title is not None:
            record["title"] = _title(title)
        if hold_until is not None:
            record.pop("holdUntil", None)
            if hold_until > 0:
                record["holdUntil"] = hold_until
        self.storage.put(_key(session_id), record)
        self._touch()
        self._set_sweep()
        return self._view(record)

    @rpc(read_only=True)
    def session_status(self, session_id: str) -> dict[str, Any]:
        """``{"live": bool, "incarnation": str | None}`` of ``session_id`` (what a conversation checks at
        every turn: a session that is not live, or another incarnation, is not its own any more)."""
        record = self._live(session_id)
        return {"live": record is not None, "incarnation": (record or {}).get("incarnation")}

    @rpc(read_only=True)
    def get_session(self, session_id: str) -> dict[str, Any]:
        """The live session ``session_id``; :class:`NotFound` if it is unknown, ended or expired."""
        record = self._live(session_id)
        if record is None:
            raise NotFound(f"no session {session_id!r}")
        return self._view(record)

    @rpc(read_only=True)
    def list_sessions(self) -> list[dict[str, Any]]:
        """The live sessions, most recently active first (activity and title as their conversations
        know them)."""
        live = [self._view(record) for record in self._live_sessions(write=False).values()]
        if live and not self.user_id.startswith(ANONYMOUS_PREFIX):
            for view, known in zip(live, self._conversation_summaries(live), strict=True):
                if known.get("lastActivity", "") > view["lastActivity"]:
                    view["lastActivity"] = known["lastActivity"]
                if known.get("title"):
                    view["title"] = known["title"]
        return sorted(live, key=lambda r: r["lastActivity"], reverse=True)

    @rpc
    def set_preferences(self, prefs: dict[str, Any], replace: bool = False) -> dict[str, Any]:
        """Merge ``prefs`` into the preferences (``null`` removes a key), or replace them all."""
        result = self._set_preferences(prefs, replace=replace)
        self._touch()
        return result

    @rpc(read_only=True)
    def get_preferences(self) -> dict[str, Any]:
        preferences: dict[str, Any] = self.storage.get("preferences") or {}
        return preferences

    @rpc
    def end_session(self, session_id: str) -> dict[str, Any]:
        """End the session: its record is dropped and its objects queued for erasure (the caller may
        erase them at once with :meth:`ConversationManager.erase_session`; the alarm does it otherwise).
        ``ended`` says whether it was live; ``incarnation`` is the one ended (``None`` if none)."""
        live = self._live_sessions(write=True)
        record = live.get(session_id)
        if record is not None:
            self._drop(record)
        self._touch()
        self._set_sweep()
        incarnation = record.get("incarnation") if record is not None else None
        return {"sessionId": session_id, "ended": record is not None, "incarnation": incarnation}

    @rpc
    def erased(self, incarnation: str | None) -> dict[str, Any]:
        """The caller has erased the objects of the ended session ``incarnation``: drop it from the queue
        (and move the alarm on to the next thing due). ``dropped``: whether it was queued."""
        erasing: dict[str, str] = dict(self.storage.get(ERASING) or {})
        dropped = erasing.pop(incarnation or "", None) is not None
        if dropped:
            self._store_erasing(erasing)
            self._set_sweep()
        return {"dropped": dropped}

    def alarm(self, info: AlarmInfo) -> None:
        """The sweep (a SessionManager has no schedules: its alarm is this): expire idle sessions, erase
        the objects of those queued in ``erasing`` (at most :data:`ERASURES_PER_ALARM`), and set the
        alarm to what is due next. A conversation busy with a turn makes the alarm yield (the runtime
        runs it again in a moment); an erasure that already happened is harmless to repeat (it erases
        only its own incarnation)."""
        from .factory import AgentFactory

        self._live_sessions(write=True)
        erasing: dict[str, str] = dict(self.storage.get(ERASING) or {})
        factory = AgentFactory(self.env)
        for incarnation, key in list(erasing.items())[:ERASURES_PER_ALARM]:
            factory.conversation(key).erase_session(incarnation or None)
            del erasing[incarnation]
        self._store_erasing(erasing)
        self._set_sweep()

    # --- messages ---------------------------------------------------------------------------------------

    @handles(
        "start_session", "touch_session", "list_sessions", "set_preferences", "get_preferences", "end_session"
    )
    def _session_message(self, message: AgentMessage) -> AgentResponse:
        content = message.content if isinstance(message.content, dict) else {}
        kind = message.type
        if kind == "start_session":
            user = message.context.user_id or self.user_id
            data: Any = self.start_session(user, content.get("sessionId"), content.get("preferences"))
        elif kind in ("touch_session", "end_session"):
            session_id = content.get("sessionId") or message.context.session_id
            if not isinstance(session_id, str):
                raise InvalidMessage(f"{kind} needs content.sessionId")
            data = getattr(self, kind)(session_id)
        elif kind == "list_sessions":
            data = {"sessions": self.list_sessions()}
        elif kind == "set_preferences":
            prefs = content.get("preferences", content)
            if not isinstance(prefs, dict):
                raise InvalidMessage("set_preferences needs an object of preferences")
            data = self.set_preferences(prefs, bool(content.get("replace", False)))
        else:
            data = self.get_preferences()
        if not isinstance(data, dict):
            data = {"result": data}
        return AgentResponse(
            type="state",
            content=f"{kind.replace('_', ' ')}: done.",
            metadata=ResponseMetadata(intent=kind, timestamp=self.now()),
            data=data,
        )

    # --- internals --------------------------------------------------------------------------------------

    def _open(
        self, user_id: str, session_id: str | None, preferences: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The stored record of the live session ``session_id``, refreshed, or of a new one."""
        self._check_user(user_id)
        if session_id is not None:
            _check_session_id(session_id)
        if preferences:
            self._set_preferences(preferences, replace=False)
        live = self._live_sessions(write=True)
        now = self.now()
        record = live.get(session_id) if session_id is not None else None
        if record is None:
            record = {
                "sessionId": session_id or uuid.uuid4().hex,
                "incarnation": uuid.uuid4().hex,
                "createdAt": iso(now),
            }
            others = sorted(live.values(), key=lambda r: r["lastActivity"], reverse=True)
            for old in others[MAX_SESSIONS - 1 :]:
                self._drop(old)  # evicted: its objects are erased too
        record = {**_stored(record), "lastActivity": iso(now)}
        self.storage.put(_key(record["sessionId"]), record)
        self._touch()
        self._set_sweep()
        return record

    def _conversation_summaries(self, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What each session's conversation knows of it (``{}`` where it cannot say), read side by side."""
        import contextvars
        from concurrent.futures import ThreadPoolExecutor

        from ..runtime.errors import DurableObjectError
        from .factory import AgentFactory, session_key

        factory = AgentFactory(self.env)

        def summary(record: dict[str, Any]) -> dict[str, Any]:
            try:
                known: dict[str, Any] = factory.conversation(
                    session_key(self.user_id, record["sessionId"])
                ).summary()
                return known
            except DurableObjectError:
                return {}

        with ThreadPoolExecutor(max_workers=min(8, len(sessions)), thread_name_prefix="sessions") as pool:
            futures = [pool.submit(contextvars.copy_context().run, summary, record) for record in sessions]
            return [future.result() for future in futures]

    @property
    def user_id(self) -> str:
        """The user (from the object's name; in an alarm turn, which has no name, as stored)."""
        if self.id.name is not None:
            return self.name_suffix("session")
        stored = self.storage.get("user")
        return stored if isinstance(stored, str) else self.name

    def _check_user(self, user_id: str) -> None:
        if self.name.startswith("session:") and user_id != self.user_id:
            raise Forbidden("this session manager belongs to another user")

    def _idle(self) -> timedelta:
        return timedelta(days=self.env.settings.session_idle_days)

    def _expiry(self, record: dict[str, Any]) -> datetime | None:
        """When the session expires: :data:`SESSION_IDLE_DAYS` after its last activity, or after the
        last of its pending reminders and watches (``holdUntil``) if that is later."""
        last = parse_time(record.get("lastActivity"))
        if last is None:
            return None
        hold = record.get("holdUntil")
        if isinstance(hold, int) and not isinstance(hold, bool):
            last = max(last, datetime.fromtimestamp(hold / 1000, UTC))
        return last + self._idle()

    def _is_live(self, record: dict[str, Any]) -> bool:
        expiry = self._expiry(record)
        return expiry is not None and self.now() < expiry

    def _live(self, session_id: str) -> dict[str, Any] | None:
        _check_session_id(session_id)
        record = self.storage.get(_key(session_id))
        return record if isinstance(record, dict) and self._is_live(record) else None

    def _live_sessions(self, *, write: bool) -> dict[str, dict[str, Any]]:
        """Sessions not yet expired (``write``: the expired ones are dropped, their objects queued for
        erasure)."""
        live: dict[str, dict[str, Any]] = {}
        for record in self.storage.list(prefix=SESSION_PREFIX).values():
            if self._is_live(record):
                live[record["sessionId"]] = record
            elif write:
                self._drop(record)
        return live

    def _drop(self, record: dict[str, Any]) -> None:
        """Forget a session's record and queue its objects for erasure (one commit)."""
        from .factory import session_key

        self.storage.delete(_key(record["sessionId"]))
        erasing: dict[str, str] = dict(self.storage.get(ERASING) or {})
        erasing[record.get("incarnation") or ""] = session_key(self.user_id, record["sessionId"])
        self._store_erasing(erasing)

    def _store_erasing(self, erasing: dict[str, str]) -> None:
        if erasing:
            self.storage.put(ERASING, erasing)
        elif self.storage.get(ERASING) is not None:
            self.storage.delete(ERASING)

    def _set_sweep(self) -> None:
        """Point the alarm at the next thing to do: now while erasures are queued, else the next expiry
        (and remember the user for the alarm turn, which knows this object by its hex id only)."""
        if self.id.name is not None and self.storage.get("user") != self.user_id:
            self.storage.put("user", self.user_id)
        due: int | None = None
        if self.storage.get(ERASING):
            due = int(self.now().timestamp() * 1000)
        else:
            for record in self.storage.list(prefix=SESSION_PREFIX).values():
                expiry = self._expiry(record)
                if expiry is not None:
                    expiry_ms = int(expiry.timestamp() * 1000) + 1  # just past it
                    due = expiry_ms if due is None else min(due, expiry_ms)
        if due is not None:  # an expiry past the runtime's limit: wake then, and look again
            due = min(due, clock.now_ms() + MAX_AHEAD_MS)
        if due is None:
            if self.storage.get_alarm() is not None:
                self.storage.delete_alarm()
        elif self.storage.get_alarm() != due:
            self.storage.set_alarm(due)

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        """What callers see of a record: no ``incarnation`` (the conversations' business), ``expiresAt``."""
        expiry = self._expiry(record)
        assert expiry is not None
        shown = {key: value for key, value in record.items() if key not in ("incarnation", "holdUntil")}
        return {**shown, "expiresAt": iso(expiry)}

    def _set_preferences(self, prefs: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        current = {} if replace else (self.storage.get("preferences") or {})
        merged = merge_fields(current, prefs)
        if json_size(merged) > MAX_PREFERENCES_BYTES:
            raise InvalidMessage(f"preferences are at most {MAX_PREFERENCES_BYTES} bytes of JSON")
        self._store_field("preferences", merged)
        return merged

    def _state_context(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {**stored, "userId": self.user_id, "sessions": self.list_sessions()}


def _key(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}"


def _stored(record: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of a session record (a view's derived ``expiresAt`` dropped)."""
    return {k: v for k, v in record.items() if k != "expiresAt"}


def _title(title: str) -> str:
    return " ".join(title.split())[:MAX_TITLE_CHARS]


def _check_session_id(session_id: str) -> None:
    if (
        not isinstance(session_id, str)
        or not session_id
        or len(session_id) > MAX_SESSION_ID
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in session_id)
    ):
        raise InvalidMessage(f"a session id is 1-{MAX_SESSION_ID} printable characters")
