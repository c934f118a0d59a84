"""The Live function: the WebSocket API's ``$connect``, ``$disconnect`` and ``$default`` routes.

Who is asking comes only from the ``$connect`` authorizer (``requestContext.authorizer.principalId``,
the Cognito user pool's ``sub``; API Gateway repeats it on every event of the connection). The local
gateway, which has no authorizer, puts the ``userId`` query parameter there (the REST API's local
trust rule). ``$connect`` without an identity is refused (401).

Messages (JSON text; README "Live sessions" has the whole protocol):

* ``{"action": "subscribe", "sessionId", "after"?}``: this socket gets the session's events from now
  on, and those after seq ``after`` it missed;
* ``{"action": "chat", "sessionId", "message", "idempotencyKey"?}``: a turn, run in this invocation
  (no other function waits on it): its ``turn`` event reaches every subscribed socket of the user once
  it has committed, and a refused or failed turn answers this socket only, with an ``error`` event
  carrying the REST API's code (``{"type": "error", "sessionId", "error": {"code", "message"},
  "status"}``).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..agents.factory import AgentFactory, session_key
from ..agents.models import MAX_MESSAGE_CHARS, AgentContext, AgentMessage
from ..runtime.connections import GoneConnection, post
from ..runtime.env import in_process_env
from ..runtime.lease import lambda_invocation
from .claims import chat_key_claim
from .errors import map_exception, run_turn
from .identity import request_fingerprint, scoped_key
from .requests import ID_PATTERN, check_text


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    session_id: str = Field(alias="sessionId", pattern=ID_PATTERN)


class Subscribe(_Action):
    """``{"action": "subscribe", "sessionId", "after"?}``."""

    action: Literal["subscribe"]
    after: int | None = Field(default=None, ge=0)


class Chat(_Action):
    """``{"action": "chat", "sessionId", "message", "idempotencyKey"?}``."""

    action: Literal["chat"]
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    idempotency_key: str | None = Field(default=None, alias="idempotencyKey", pattern=ID_PATTERN)


Action = Annotated[Subscribe | Chat, Field(discriminator="action")]
_ACTIONS: TypeAdapter[Subscribe | Chat] = TypeAdapter(Action)


def _user(event: dict[str, Any]) -> str | None:
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    user = authorizer.get("principalId")
    return str(user) if user else None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point of all three routes.

    Args:
        event: API Gateway's WebSocket event.
        context: the Lambda context.

    Returns:
        ``{"statusCode": ...}`` (``$connect``: 401 refuses the socket).
    """
    request = event.get("requestContext", {})
    kind = request.get("eventType")
    if kind == "CONNECT":
        return {"statusCode": 200 if _user(event) else 401}
    if kind == "DISCONNECT":
        return {"statusCode": 200}  # its items go at the next post's 410, or with their TTL
    with lambda_invocation(context):
        _message(event, str(request.get("connectionId", "")))
    return {"statusCode": 200}


def _reply(connection_id: str, event: dict[str, Any]) -> None:
    try:
        post(in_process_env().settings.websocket_callback_url, connection_id, event)
    except GoneConnection:
        pass


def _message(event: dict[str, Any], connection_id: str) -> None:
    session_id: str | None = None
    try:
        user = _user(event)
        if user is None:
            raise PermissionError("no identity on this connection")
        try:
            raw = json.loads(event.get("body") or "")
        except ValueError:
            raw = None
        if isinstance(raw, dict):
            check_text(raw)  # a lone surrogate is 400 invalid_text, as on the REST API
            if isinstance(raw.get("sessionId"), str):
                session_id = raw["sessionId"]
        action = _ACTIONS.validate_python(raw)
        session_id = action.session_id
        factory = AgentFactory(in_process_env())
        conversation = factory.conversation(session_key(user, action.session_id))
        if isinstance(action, Subscribe):
            conversation.call("subscribe", connection_id, user, action.session_id, action.after)
            return
        key = action.idempotency_key
        turn = scoped_key(user, "turn", key) if key is not None else uuid.uuid4().hex
        message = AgentMessage(
            id=turn,
            type="chat",
            content=action.message,
            context=AgentContext(session_id=action.session_id, user_id=user),
        )
        same = request_fingerprint("chat", action.session_id, action.message)
        # the key is the caller's across their sessions, as on POST /chat
        claim = chat_key_claim(factory, user, key, same) if key is not None else None
        run_turn(
            lambda: conversation.call(
                "route_message", message, idempotency_key=turn, fingerprint=same, claim=claim
            )
        )
    except Exception as error:  # noqa: BLE001 - every failure is answered to this socket, as REST answers it
        _reply(connection_id, _error_event(error, session_id))


def _error_event(error: Exception, session_id: str | None) -> dict[str, Any]:
    status, code, message = 500, "internal_error", "internal error"
    if isinstance(error, PermissionError):
        status, code, message = 401, "unauthorized", str(error)
    else:
        response = map_exception(error)
        if response is not None:
            status = response.status_code
            body = json.loads(str(response.body))["error"]
            code, message = body["code"], body["message"]
    return {
        "type": "error",
        "sessionId": session_id,
        "status": status,
        "error": {"code": code, "message": message},
    }
