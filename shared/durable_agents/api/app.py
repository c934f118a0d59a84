"""The API function: ``POST /chat``, the caller's ``/sessions``, ``GET /health`` and the internal
``/agents/{namespace}/{name}/...`` routes.

``/chat`` goes to the session's ConversationManager, which routes to the TravelAgent. Everything is
scoped to the caller (see :mod:`durable_agents.api.identity`): a session is found only under its owner,
a new session's id is random, and an ``Idempotency-Key`` is the caller's own. A retried request (same
``Idempotency-Key``) returns the recorded response and runs nothing twice; without a key the API makes
a turn key of its own before any object is called, so retries inside the stack (a Lambda invoke retried
after a lost response) never run a turn twice either.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from ..agents.base import chat_text
from ..agents.errors import NotFound, UnsupportedMessageType
from ..agents.factory import AgentFactory, session_key
from ..agents.models import AgentContext, AgentMessage
from ..config import settings
from ..runtime import DurableObjectError, Env, KeyClaim, lambda_invocation
from ..runtime.env import in_process_env
from ..web import page_response
from .claims import chat_key_claim
from .errors import JSON, error_response, map_exception, run_turn
from .identity import Caller, request_fingerprint, resolve_caller, scoped_key
from .requests import (
    ChatRequest,
    TranscriptQuery,
    check_name,
    header,
    idempotency_key,
    json_body,
    require_id,
)
from .tracing import Handler, traced

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()

ROUTES: dict[str, set[str]] = {
    "/": {"GET"},
    "/chat": {"POST"},
    "/sessions": {"GET"},
    "/sessions/{session_id}": {"GET", "DELETE"},
    "/health": {"GET"},
    "/agents/{namespace}/{name}/message": {"POST"},
    "/agents/{namespace}/{name}/state": {"GET"},
    "/agents/{namespace}/{name}/health": {"GET"},
}


def ok(body: dict[str, Any]) -> Response[str]:
    return Response(status_code=200, content_type=JSON, body=json.dumps(body))


def env() -> Env:
    """The objects a request calls run in this invocation (one function per turn: no object host invoke)."""
    return in_process_env()


@app.get("/")
def page() -> Response[str]:
    """The chat page (:mod:`durable_agents.web`), with this deployment's sign-in settings embedded."""
    return page_response(settings(), app.current_event.headers)


def caller(claimed_user: str | None = None) -> Caller:
    """The caller of the current request (``claimed_user``: a ``userId`` from the body)."""
    event = app.current_event
    claimed = header(dict(event.headers or {}), "x-user-id")
    if claimed is not None:
        require_id(claimed, "X-User-Id")
    return resolve_caller(
        event.raw_event, (claimed_user, claimed), trust_client=env().settings.trust_client_identity
    )


@app.get("/health")
def health() -> Response[str]:
    return ok(
        {
            "status": "healthy",
            "service": "durable-agents",
            "bindings": sorted(env().bindings),
            "time": datetime.now(UTC).isoformat(),
        }
    )


@app.post("/chat")
def chat() -> Response[str]:
    event = app.current_event
    request = ChatRequest.model_validate(json_body(event.body, is_base64=bool(event.is_base64_encoded)))
    who = caller(request.user_id)
    key = idempotency_key(dict(event.headers or {}))
    claim: KeyClaim | None = None
    if key is not None and who.user_id is not None:
        # the request as sent (a first turn without sessionId is that, not the session it opens)
        claim = _key_claim(who.user_id, key, request_fingerprint("chat", request.session_id, request.message))
    session_id = request.session_id or _open_session(who, key, claim)
    owner = who.owner_of(session_id)
    # the turn's key exists before any object is called: a retry anywhere below it runs nothing twice
    turn = scoped_key(owner, "turn", key) if key is not None else uuid.uuid4().hex
    message = AgentMessage(
        id=turn,
        type="chat",
        content=request.message,
        context=AgentContext(session_id=session_id, user_id=owner),
    )
    conversation = AgentFactory(env()).conversation(session_key(owner, session_id))
    # what makes two requests "the same" for the key: the session and the text, not the message's
    # timestamp (a retry is sent later)
    same = request_fingerprint("chat", session_id, request.message)
    # the key's claim goes beside the conversation's acquire (a first turn's went with the open)
    claim = claim if request.session_id is not None else None
    response = run_turn(
        lambda: conversation.call(
            "route_message", message, idempotency_key=turn, fingerprint=same, claim=claim
        )
    )
    metrics.add_metric(name="ChatTurns", unit=MetricUnit.Count, value=1)
    return ok({**response, "sessionId": session_id})


def _key_claim(user_id: str, key: str, same: str) -> KeyClaim:
    """:func:`~.claims.chat_key_claim` of ``key`` for this request (``same``: its fingerprint)."""
    return chat_key_claim(AgentFactory(env()), user_id, key, same)


def _open_session(who: Caller, key: str | None, claim: KeyClaim | None) -> str:
    """A new session for a first turn without ``sessionId``: a random id, opened in the caller's
    SessionManager exactly once per ``Idempotency-Key`` (a retried first turn finds the same session),
    the key's ``claim`` made beside that call's acquire (refused: nothing is opened). An anonymous
    caller has no SessionManager: the id is just random."""
    if who.user_id is None:
        return uuid.uuid4().hex
    manager = AgentFactory(env()).session_manager(who.user_id)
    opened_key = scoped_key(who.user_id, "open", key) if key is not None else None
    record = manager.call("start_session", who.user_id, idempotency_key=opened_key, claim=claim)
    return str(record["sessionId"])


@app.get("/sessions")
def list_sessions() -> Response[str]:
    user = caller().require_user()
    return ok({"sessions": AgentFactory(env()).session_manager(user).list_sessions()})


@app.get("/sessions/<session_id>")
def get_session(session_id: str) -> Response[str]:
    query = TranscriptQuery.from_params(app.current_event.query_string_parameters)
    conversation = _owned_conversation(session_id)
    return ok(conversation.session_view(query.limit, query.before))


@app.delete("/sessions/<session_id>")
def delete_session(session_id: str) -> Response[str]:
    """End the session in the caller's SessionManager first (from then on nothing of it is reachable:
    its conversation checks there at every turn), then erase its objects and tell the manager so. The
    end commits with the erasure queued, so if erasing here fails (a turn holding the conversation past
    the wait budget, a crash), the delete has still happened and the manager's alarm finishes it."""
    require_id(session_id, "session id")
    who = caller()
    factory = AgentFactory(env())
    conversation = factory.conversation(session_key(who.owner_of(session_id), session_id))
    if who.user_id is None:
        conversation.delete_session()
        return ok({"sessionId": session_id, "deleted": True})
    manager = factory.session_manager(who.user_id)
    ended = manager.end_session(session_id)
    if not ended["ended"]:
        raise NotFound(f"no session {session_id!r}")
    try:
        conversation.erase_session(ended["incarnation"])
        manager.erased(ended["incarnation"])  # done: nothing left for the alarm
    except DurableObjectError:
        logger.warning("session %s ended; its erasure is left to the session manager's alarm", session_id)
    return ok({"sessionId": session_id, "deleted": True})


def _owned_conversation(session_id: str, who: Caller | None = None) -> Any:
    """The conversation of the caller's session ``session_id``, or 404: unknown, expired, or another
    user's (which, being named under its owner, this caller cannot even address)."""
    require_id(session_id, "session id")
    who = who or caller()
    factory = AgentFactory(env())
    if who.user_id is not None:
        factory.session_manager(who.user_id).get_session(session_id)  # NotFound -> 404
    return factory.conversation(session_key(who.owner_of(session_id), session_id))


@app.post("/agents/<namespace>/<name>/message")
def agent_message(namespace: str, name: str) -> Response[str]:
    event = app.current_event
    body = json_body(event.body, is_base64=bool(event.is_base64_encoded))
    same = request_fingerprint("message", namespace, name, body)  # the request as the client sent it
    key = idempotency_key(dict(event.headers or {}))
    if key is not None:
        body["id"] = key
    message = AgentMessage.model_validate(body)
    stub, method = _agent_route(namespace, name, "POST", "/message")
    _check_message(env().namespace(namespace).object_class, message)
    return ok(stub.call(method, message, idempotency_key=message.id, fingerprint=same))


@app.get("/agents/<namespace>/<name>/state")
def agent_state(namespace: str, name: str) -> Response[str]:
    stub, method = _agent_route(namespace, name, "GET", "/state")
    return ok(stub.call(method))


@app.get("/agents/<namespace>/<name>/health")
def agent_health(namespace: str, name: str) -> Response[str]:
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


@app.not_found
def not_found(_: Exception) -> Response[str]:
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


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]  # Powertools' decorator is untyped
def handle_error(error: Exception) -> Response[str]:
    response = map_exception(error)
    if response is not None:
        logger.info("request refused", extra={"error": type(error).__name__, "detail": str(error)[:300]})
        return response
    logger.exception("unexpected error")
    request_id = (app.current_event.request_context.request_id or "") if app.current_event else ""
    return error_response(500, "internal_error", f"internal error (request id {request_id})")


def _matches(template: str, path: str) -> bool:
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(w.startswith("{") or w == g for w, g in zip(want, got, strict=True))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: :func:`_handle` with the Logger's context, traced when tracing is on."""
    return _entry_point(settings().tracing_enabled)(event, context)


@cache
def _entry_point(tracing: bool) -> Handler:
    """Built on the first request: the X-Ray SDK is imported only when ``tracing`` is on."""
    handle: Handler = traced(_handle) if tracing else _handle
    wrapped: Handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
        handle
    )
    return wrapped


@metrics.log_metrics
def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with lambda_invocation(context):
        response = app.resolve(event, context)
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
    if response.get("statusCode", 500) >= 500:
        metrics.add_metric(name="ApiErrors", unit=MetricUnit.Count, value=1)
    return response
