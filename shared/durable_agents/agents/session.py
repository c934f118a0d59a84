"""``SessionManager`` (binding SESSION_MANAGER, name ``session:<userId>``): a user's sessions and preferences.

A session record is ``{sessionId, conversationId, createdAt, lastActivity, expiresAt}``; its conversation
is the ConversationManager ``conversation:<conversationId>`` (the conversation id is the session id).
A session expires ``SESSION_IDLE_DAYS`` (settings) after its last activity (``expiresAt`` shows when,
for the current setting); expired sessions are never listed or touched, and are dropped from storage
whenever the user's object is next written. At most :data:`MAX_SESSIONS` are kept
(the least recently active go first).

Preferences are the user's, shared by all their sessions: a new conversation copies them when it
starts (the ConversationManager asks :meth:`SessionManager.get_preferences`).

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


class SessionManager(BaseAgent):
    """A user's sessions, their expiry, and the user's preferences (see the module documentation)."""

    # --- RPC --------------------------------------------------------------------------------------------

    @rpc
    def start_session(
        self, user_id: str, session_id: str | None = None, preferences: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The live session ``session_id`` (its activity refreshed), or a new one (a new id if none given).

        ``preferences``, when given, are merged into the user's preferences.
        """
        self._check_user(user_id)
        if session_id is not None:
            _check_session_id(session_id)
        if preferences:
            self._set_preferences(preferences, replace=False)
        sessions = self._live_sessions(write=True)
        now = self.now()
        record = sessions.get(session_id) if session_id is not None else None
        if record is None:
            new_id = session_id or uuid.uuid4().hex
            record = {
                "sessionId": new_id,
                "conversationId": new_id,
                "createdAt": iso(now),
                "lastActivity": iso(now),
                "expiresAt": iso(now + self._idle()),
            }
        else:
            record = {**record, "lastActivity": iso(now), "expiresAt": iso(now + self._idle())}
        sessions[record["sessionId"]] = record
        self._save_sessions(sessions)
        self._touch()
        return record

    @rpc
    def touch_session(self, session_id: str) -> dict[str, Any]:
        """Record activity on a live session; :class:`NotFound` if it is unknown, ended or expired."""
        sessions = self._live_sessions(write=True)
        record = sessions.get(session_id)
        if record is None:
            raise NotFound(f"no live session {session_id!r}")
        now = self.now()
        record = {**record, "lastActivity": iso(now), "expiresAt": iso(now + self._idle())}
        sessions[session_id] = record
        self._save_sessions(sessions)
        self._touch()
        return record

    @rpc(read_only=True)
    def list_sessions(self) -> list[dict[str, Any]]:
        """The live sessions, most recently active first."""
        sessions = self._live_sessions(write=False)
        return sorted(sessions.values(), key=lambda record: record["lastActivity"], reverse=True)

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
        sessions = self._live_sessions(write=True)
        ended = sessions.pop(session_id, None) is not None
        self._save_sessions(sessions)
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

    @property
    def user_id(self) -> str:
        return self.name_suffix("session")

    def _check_user(self, user_id: str) -> None:
        if self.name.startswith("session:") and user_id != self.user_id:
            raise Forbidden("this session manager belongs to another user")

    def _idle(self) -> timedelta:
        return timedelta(days=self.env.settings.session_idle_days)

    def _live_sessions(self, *, write: bool) -> dict[str, dict[str, Any]]:
        """Sessions not yet expired (``write``: the expired ones are dropped from storage too)."""
        stored: dict[str, dict[str, Any]] = self.storage.get("sessions") or {}
        now = self.now()
        idle = self._idle()
        live = {}
        for sid, record in stored.items():
            last = parse_time(record.get("lastActivity"))
            if last is not None and now < last + idle:
                live[sid] = {**record, "expiresAt": iso(last + idle)}
        if write and len(live) != len(stored):
            self._save_sessions(live)
        return live

    def _touch(self) -> None:
        self._live_sessions(write=True)  # every write also drops the expired sessions
        super()._touch()

    def _save_sessions(self, sessions: dict[str, dict[str, Any]]) -> None:
        if len(sessions) > MAX_SESSIONS:
            newest = sorted(sessions.values(), key=lambda record: record["lastActivity"], reverse=True)
            sessions = {record["sessionId"]: record for record in newest[:MAX_SESSIONS]}
        if sessions == (self.storage.get("sessions") or {}):
            return
        if sessions:
            self.storage.put("sessions", sessions)
        else:
            self.storage.delete("sessions")

    def _set_preferences(self, prefs: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        current = {} if replace else (self.storage.get("preferences") or {})
        merged = merge_fields(current, prefs)
        if json_size(merged) > MAX_PREFERENCES_BYTES:
            raise InvalidMessage(f"preferences are at most {MAX_PREFERENCES_BYTES} bytes of JSON")
        self._store_field("preferences", merged)
        return merged

    def _state_context(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {**stored, "userId": self.user_id, "sessions": self.list_sessions()}


def _check_session_id(session_id: str) -> None:
    if not session_id or len(session_id) > MAX_SESSION_ID or any(ord(ch) < 32 for ch in session_id):
        raise InvalidMessage(f"a session id is 1-{MAX_SESSION_ID} printable characters")
