"""The API function: ``POST /chat``, ``GET /health`` and the internal ``/agents/{namespace}/{name}/...``.

``/chat`` goes to the session's ConversationManager, which routes to the TravelAgent. A retried
request (same ``Idempotency-Key``) returns the recorded response and runs nothing twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from ..agents.base import chat_text
from ..agents.errors import Forbidden, NotFound, UnsupportedMessageType
from ..agents.models import AgentContext, AgentMessage
from ..config import settings
from ..runtime import Env, default_env, lambda_invocation
from ..web import page_response
from .errors import JSON, ApiError, error_response, map_exception
from .requests import ChatRequest, caller_identity, check_id, check_name, idempotency_key, json_body

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()

ROUTES: dict[str, set[str]] = {
    "/": {"GET"},
    "/chat": {"POST"},
    "/health": {"GET"},
    "/agents/{namespace}/{name}/message": {"POST"},
    "/agents/{namespace}/{name}/state": {"GET"},
    "/agents/{namespace}/{name}/health": {"GET"},
}
_SESSION_IDS = uuid.UUID("6f1b7d0e-3c51-4c0b-9a53-2b4f0d5a9e11")


def ok(body: dict[str, Any]) -> Response:
    return Response(status_code=200, content_type=JSON, body=json.dumps(body))


def env() -> Env:
    return default_env()


@app.get("/")
def page() -> Response:
    """The chat page (:mod:`durable_agents.web`), with this deployment's sign-in settings embedded."""
    return page_response(settings(), app.current_event.headers)


@app.get("/health")
def health() -> Response:
    return ok(
        {
            "status": "healthy",
            "service": "durable-agents",
            "bindings": sorted(env().bindings),
            "time": datetime.now(UTC).isoformat(),
        }
    )


@app.post("/chat")
def chat() -> Response:
    event = app.current_event
    request = ChatRequest.model_validate(json_body(event.body, is_base64=event.is_base64_encoded))
    headers = dict(event.headers or {})
    key = idempotency_key(headers)
    user = _resolve_user(request, headers, event.raw_event)
    session_id = request.session_id or _new_session_id(user, key)
    user = user or f"anonymous:{session_id}"
    message_id = key or uuid.uuid4().hex
    message = AgentMessage(
        id=message_id,
        type="chat",
        content=request.message,
        context=AgentContext(session_id=session_id, user_id=user),
    )
    conversation = env().CONVERSATION_MANAGER.get_by_name(f"conversation:{session_id}")
    response = conversation.call("route_message", message, idempotency_key=_turn_key(user, message_id))
    metrics.add_metric(name="ChatTurns", unit=MetricUnit.Count, value=1)
    return ok({**response, "sessionId": session_id})


@app.post("/agents/<namespace>/<name>/message")
def agent_message(namespace: str, name: str) -> Response:
    event = app.current_event
    body = json_body(event.body, is_base64=event.is_base64_encoded)
    key = idempotency_key(dict(event.headers or {}))
    if key is not None:
        body["id"] = key
    message = AgentMessage.model_validate(body)
    stub, method = _agent_route(namespace, name, "POST", "/message")
    _check_message(env().namespace(namespace).object_class, message)
    return ok(stub.call(method, message, idempotency_key=message.id))


@app.get("/agents/<namespace>/<name>/state")
def agent_state(namespace: str, name: str) -> Response:
    stub, method = _agent_route(namespace, name, "GET", "/state")
    return ok(stub.call(method))


@app.get("/agents/<namespace>/<name>/health")
def agent_health(namespace: str, name: str) -> Response:
    stub, method = _agent_route(namespace, name, "GET", "/health")
    return ok(stub.call(method))


def _agent_route(namespace: str, name: str, method: str, path: str) -> tuple[Any, str]:
    """The stub and RPC method an object's HTTP-style route maps to (the seed's ``fetch``)."""
    binding = env().namespace(namespace)
    check_name(name)
    route = getattr(binding.object_class, "route", None)
    if route is None:
        raise NotFound(f"{namespace} objects have no HTTP routes")
    return binding.get_by_name(name), route(method, path)


def _check_message(cls: type, message: AgentMessage) -> None:
    """Refuse what the agent would refuse anyway before its object is reached (a refused turn would
    still take and give back the object's lease): a type it does not handle, a chat without text."""
    supported = getattr(cls, "supported_types", None)
    if callable(supported) and message.type not in supported():
        raise UnsupportedMessageType(
            f"{cls.__name__} does not handle {message.type!r} messages; "
            f"supported types: {', '.join(supported())}"
        )
    if message.type == "chat":
        chat_text(message)


def _resolve_user(request: ChatRequest, headers: dict[str, str], event: dict[str, Any]) -> str | None:
    """The authorizer's identity in AWS; locally ``userId`` or ``X-User-Id``. They must agree."""
    claimed = {v for v in (request.user_id, _header(headers, "x-user-id")) if v}
    for value in claimed:
        check_id(value, "userId")
    verified = caller_identity(event)
    if verified is not None:
        if claimed - {verified}:
            raise Forbidden("userId does not match the authenticated caller")
        return verified
    if len(claimed) > 1:
        raise ApiError(400, "invalid_request", "userId and X-User-Id disagree")
    return claimed.pop() if claimed else None


def _new_session_id(user: str | None, key: str | None) -> str:
    """A fresh session id; derived from the Idempotency-Key so that a retried first turn lands in
    the same session instead of opening a second one."""
    if key is None:
        return uuid.uuid4().hex
    return uuid.uuid5(_SESSION_IDS, f"{user or ''}\x00{key}").hex


def _turn_key(user: str, message_id: str) -> str:
    """The conversation's exactly-once key of a turn: the Idempotency-Key scoped to the caller, so that
    another user replaying someone's key is checked (and refused) instead of served the recorded answer."""
    return uuid.uuid5(_SESSION_IDS, f"turn\x00{user}\x00{message_id}").hex


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v.strip() for k, v in headers.items() if k.lower() == name and v.strip()), None)


@app.not_found
def not_found(_: Exception) -> Response:
    path = app.current_event.path
    for template, methods in ROUTES.items():
        if _matches(template, path):
            if app.current_event.http_method in methods:
                # the route and method exist: a path parameter the router refused (control characters, ...)
                return error_response(400, "invalid_name", f"malformed path parameter in {template}")
            return error_response(
                405,
                "method_not_allowed",
                f"{app.current_event.http_method} is not allowed on {template}",
                {"Allow": ", ".join(sorted(methods))},
            )
    return error_response(404, "not_found", f"no route for {path}")


@app.exception_handler(Exception)
def handle_error(error: Exception) -> Response:
    response = map_exception(error)
    if response is not None:
        logger.info("request refused", extra={"error": type(error).__name__, "detail": str(error)[:300]})
        return response
    logger.exception("unexpected error")
    request_id = (app.current_event.request_context.request_id or "") if app.current_event else ""
    return error_response(500, "internal_error", f"internal error (request id {request_id})")


def _matches(template: str, path: str) -> bool:
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(w.startswith("{") or w == g for w, g in zip(want, got))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with lambda_invocation(context):
        response = app.resolve(event, context)
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
    if response.get("statusCode", 500) >= 500:
        metrics.add_metric(name="ApiErrors", unit=MetricUnit.Count, value=1)
    return response
