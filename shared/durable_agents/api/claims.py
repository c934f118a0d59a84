"""An ``Idempotency-Key`` of ``/chat`` (REST or WebSocket) is the caller's across all their sessions.

The key is claimed in the user's SessionManager (:mod:`~durable_agents.runtime.claims`: one conditional
``PutItem`` of an ``I#<key>`` record, beside the acquire of the call it goes with, decided before that
call runs), whichever door the turn came in by.
"""

from __future__ import annotations

from ..agents.factory import AgentFactory
from ..runtime import KeyClaim
from .identity import scoped_key


def chat_key_claim(factory: AgentFactory, user_id: str, key: str, same: str) -> KeyClaim:
    """The claim of a chat turn's ``key`` by ``user_id``.

    Args:
        factory: the agents of this invocation.
        user_id: the caller (an anonymous caller owns one session, where the conversation's own
            idempotency record already decides: no claim).
        key: the caller's ``Idempotency-Key`` (``idempotencyKey`` on the socket).
        same: the request's fingerprint (:func:`~.identity.request_fingerprint` of the session and text).

    Returns:
        The claim to pass as ``claim=`` to the call that runs the turn: the same key with another
        message or another session is refused with
        :class:`~durable_agents.runtime.errors.IdempotencyKeyReused` (422, ``idempotency_key_reused``)
        and nothing runs; a retry of the same request passes and the conversation replays its answer.
    """
    manager = factory.session_manager(user_id).id
    assert manager.name is not None
    return KeyClaim(
        namespace=manager.namespace, name=manager.name, key=scoped_key(user_id, "chat", key), fingerprint=same
    )
