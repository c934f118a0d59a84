"""A conversation's live clients: the socket protocol's events, sent from the conversation's own turns.

The conversation object accepts the sockets subscribed to it (tagged ``user:<owner>``) and broadcasts
to them from its turns (:mod:`durable_agents.runtime.connections`: posted once the commit landed):

* ``turn``: a committed exchange: ``messageId``, ``message`` (the user's text) and ``answer`` (what
  ``POST /chat`` answers, without ``sessionId``, which every event carries);
* ``state``: the trip after a turn that changed it: ``slots`` and ``plan``;
* ``push``: a message nobody asked for (a reminder, a price alert): ``messageId``, ``kind``, ``text``;

and, while a turn runs, provisional parts posted at once: ``progress`` (a tool ``started`` /
``finished``) and ``text`` (answer text as the model writes it). ``subscribe`` sends a resuming client
what it missed (``after``), or ``{"type": "reset"}`` when the log no longer reaches back that far (the
client then reloads the session).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..runtime import DurableObject, rpc
from ..runtime.connections import emit, streaming

USER_TAG = "user:{}"


class LiveConversation(DurableObject):
    """The socket side of a conversation (mixed into ``ConversationManager``)."""

    def _session_id(self) -> str | None:
        record = self.storage.get("conversation")
        return str(record["sessionId"]) if record else None

    @rpc
    def subscribe(
        self, connection_id: str, user_id: str, session_id: str, after: int | None = None
    ) -> dict[str, Any]:
        """Accept ``connection_id`` for this conversation's events (tag ``user:<user_id>``), and send it
        what it missed after ``after``.

        Args:
            connection_id: the socket's API Gateway connection id.
            user_id: the owner (the conversation is named under its owner, so nobody else gets here).
            session_id: the session id the client uses (every event carries it).
            after: the last ``seq`` the client has (``None``: a new client, nothing is resent).

        Returns:
            ``{"seq": the latest seq, "resent": how many events were sent again, "complete": bool}``.
        """
        live = self.connections
        live.accept(connection_id, tags=[USER_TAG.format(user_id)], attachment={"sessionId": session_id})
        missed: list[dict[str, Any]] = []
        complete = True
        if after is not None:
            missed, complete = live.events_after(after)
            if complete:
                for event in missed:
                    live.send(connection_id, event)
            else:
                live.send(connection_id, {"type": "reset", "sessionId": session_id})
        live.send(connection_id, {"type": "subscribed", "sessionId": session_id})
        return {"resent": len(missed) if complete else 0, "complete": complete}

    def _announce(self, event: dict[str, Any], logged: dict[str, Any] | None = None) -> None:
        """Broadcast ``event`` (with this session's id) to the conversation's clients after the commit;
        ``logged``: the shorter form resuming clients get (see :func:`_trimmed`)."""
        session_id = self._session_id()
        if session_id is not None:
            short = {**logged, "sessionId": session_id} if logged is not None else None
            self.connections.broadcast({**event, "sessionId": session_id}, logged=short)

    @contextmanager
    def _streaming(self) -> Iterator[None]:
        """While the block runs, tools and the model may post provisional parts to this conversation's
        clients (:func:`durable_agents.runtime.connections.emit`)."""
        session_id = self._session_id()
        if session_id is None:
            yield
            return
        live = self.connections
        with streaming(lambda event: live.stream({**event, "sessionId": session_id})):
            emit({"type": "progress", "step": "turn", "status": "started"})  # the turn has its objects
            yield

    def _announce_turn(self, message: Any, response: Any) -> None:
        """Broadcast a committed exchange (``turn``), and the trip (``state``) when the answer carries it."""
        from ..runtime import codec

        answer = codec.to_jsonable(response)
        turn = {
            "type": "turn",
            "messageId": message.id,
            "message": message_text_of(message),
            "answer": answer,
        }
        self._announce(turn, _trimmed(turn))
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(data, dict) and ("slots" in data or "plan" in data):
            state = {"type": "state", "slots": data.get("slots"), "plan": data.get("plan")}
            self._announce(state, _trimmed(state))


_LOGGED_ANSWER = ("type", "content", "confidence")


def _trimmed(event: dict[str, Any]) -> dict[str, Any]:
    """What the resume log keeps of a ``turn`` or ``state`` event: the text, not the trip (``slots``,
    ``plan``, ``answer.data``) nor the answer's sources and metadata (kilobytes, billed on every commit);
    marked ``"partial": true``: a client resuming from it reads the trip once with
    ``GET /sessions/{id}``."""
    short = {key: value for key, value in event.items() if key not in ("slots", "plan")}
    answer = short.get("answer")
    if isinstance(answer, dict):
        short["answer"] = {key: answer[key] for key in _LOGGED_ANSWER if key in answer}
    return {**short, "partial": True}


def message_text_of(message: Any) -> str:
    """The text of a chat message (its ``content``), or ``""`` for other kinds."""
    content = getattr(message, "content", "")
    return content if isinstance(content, str) else ""
