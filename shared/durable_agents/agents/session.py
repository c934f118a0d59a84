"""``SessionManager`` (binding SESSION_MANAGER, name ``session:<userId>``): a user's sessions and preferences.

Storage (one key per session, so touching one session rewrites only its own small record):

``s:<sessionId>``
    ``{sessionId, createdAt, lastActivity, title?}``; ``title`` is the trip's destination, set by the
    conversation, which also refreshes ``lastActivity`` (at most hourly: it is the session's expiry
    clock). Views add ``expiresAt`` (``SESSION_IDLE_DAYS`` after the last activity, for the current
    setting); :meth:`SessionManager.list_sessions` takes each session's exact activity and title from
    its conversation (read-only calls, side by side).
``preferences``
    The user's preferences, shared by all their sessions: a new conversation copies them when it starts
    (the ConversationManager asks :meth:`SessionManager.get_preferences`).

A session's objects are named by :func:`~durable_agents.agents.factory.session_key` of the user and the
session id, so the ids are the user's own namespace: the same id in another user's manager is another
session. A new session without an id gets a random one (never derived from client input). Expired
sessions are never listed or touched, and are removed whenever a session is started or ended. At most
:data:`MAX_SESSIONS` live sessions are kept (starting one more forgets the least recently active).

A user id starting with :data:`ANONYMOUS_PREFIX` (an anonymous caller of the local stack, who owns just
the one session) has no session manager.

Message types (``handle_message``; the reply is ``type="state"`` with the method's result in ``data``):
``start_session`` (content ``{sessionId?, preferences?}``), ``touch_session`` / ``end_session``
(``{sessionId}``), ``list_sessions``, ``set_preferences`` (``{preferences, replace?}``),
``get_preferences``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from ..runtime import rpc
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
        self._check_user(user_id)
        if session_id is not None:
            _check_session_id(session_id)
        if preferences:
            self._set_preferences(preferences, replace=False)
        live = self._live_sessions(write=True)
        now = self.now()
        record = live.get(session_id) if session_id is not None else None
        if record is None:
            record = {"sessionId": session_id or uuid.uuid4().hex, "createdAt": iso(now)}
            others = sorted(live.values(), key=lambda r: r["lastActivity"], reverse=True)
            for old in others[MAX_SESSIONS - 1 :]:
                self.storage.delete(_key(old["sessionId"]))
        record = {**_stored(record), "lastActivity": iso(now)}
        self.storage.put(_key(record["sessionId"]), record)
        self._touch()
        return self._view(record)

    @rpc
    def touch_session(self, session_id: str, title: str | None = None) -> dict[str, Any]:
        """Record activity on a live session (and its ``title``, when given); :class:`NotFound` if it is
        unknown, ended or expired."""
        record = self._live(session_id)
        if record is None:
            raise NotFound(f"no live session {session_id!r}")
        record = {**_stored(record), "lastActivity": iso(self.now())}
        if title is not None:
            record["title"] = _title(title)
        self.storage.put(_key(session_id), record)
        self._touch()
        return self._view(record)

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
        return self.storage.get("preferences") or {}

    @rpc
    def end_session(self, session_id: str) -> dict[str, Any]:
        """Forget the session; ``ended`` says whether it was live."""
        live = self._live_sessions(write=True)
        ended = session_id in live
        if ended:
            self.storage.delete(_key(session_id))
        self._touch()
        return {"sessionId": session_id, "ended": ended}

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
        return self.name_suffix("session")

    def _check_user(self, user_id: str) -> None:
        if self.name.startswith("session:") and user_id != self.user_id:
            raise Forbidden("this session manager belongs to another user")

    def _idle(self) -> timedelta:
        return timedelta(days=self.env.settings.session_idle_days)

    def _is_live(self, record: dict[str, Any]) -> bool:
        last = parse_time(record.get("lastActivity"))
        return last is not None and self.now() < last + self._idle()

    def _live(self, session_id: str) -> dict[str, Any] | None:
        _check_session_id(session_id)
        record = self.storage.get(_key(session_id))
        return record if isinstance(record, dict) and self._is_live(record) else None

    def _live_sessions(self, *, write: bool) -> dict[str, dict[str, Any]]:
        """Sessions not yet expired (``write``: the expired ones are removed from storage too)."""
        live: dict[str, dict[str, Any]] = {}
        for key, record in self.storage.list(prefix=SESSION_PREFIX).items():
            if self._is_live(record):
                live[record["sessionId"]] = record
            elif write:
                self.storage.delete(key)
        return live

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        last = parse_time(record["lastActivity"])
        assert last is not None
        return {**record, "expiresAt": iso(last + self._idle())}

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
