"""Every error the API answers with: ``{"error": {"code", "message"}}`` and a fitting status.

Exceptions from the runtime, the agents and request validation map to one place here, so a handler
never leaks a stack trace and the same failure always gets the same status.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import Response
from pydantic import ValidationError

from ..agents import errors as agent_errors
from ..runtime import errors as runtime_errors

JSON = "application/json"
T = TypeVar("T")
logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A request the API refuses before any object runs."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=headers or {},
    )


def _validation_message(error: ValidationError) -> str:
    parts = []
    for detail in error.errors()[:3]:
        where = ".".join(str(p) for p in detail.get("loc", ())) or "body"
        parts.append(f"{where}: {detail.get('msg', 'invalid')}")
    return "; ".join(parts)


_RUNTIME_STATUS: dict[type[Exception], int] = {
    runtime_errors.InvalidKey: 400,
    runtime_errors.InvalidValue: 400,
    runtime_errors.InvalidObjectName: 400,
    runtime_errors.UnknownBinding: 404,
    runtime_errors.UnknownMethod: 404,
    runtime_errors.ReentrancyError: 409,
    runtime_errors.TurnTooLarge: 413,
    runtime_errors.IdempotencyKeyReused: 422,
    runtime_errors.LeaseLost: 503,
    runtime_errors.CommitOutcomeUnknown: 503,
}


def _remote_status(error_type: str) -> tuple[int, str] | None:
    """Status and code of an error raised inside a remote object, by its class name. The runtime's own
    errors arrive re-raised as themselves (see ``ObjectStub``); agent errors and request validation
    errors are known here by name."""
    if error_type == "ValidationError":
        return 400, "invalid_request"
    cls = getattr(agent_errors, error_type, None)
    if isinstance(cls, type) and issubclass(cls, agent_errors.AgentError):
        return cls.status, cls.code
    return None


def _unavailable() -> Response[str]:
    return error_response(
        503, "unavailable", "a backing service is busy or unavailable; retry shortly", {"Retry-After": "1"}
    )


def map_exception(error: Exception) -> Response[str] | None:
    """The response for a known failure, or ``None`` for an unexpected one (a 500)."""
    if isinstance(error, ApiError):
        return error_response(error.status, error.code, str(error), error.headers)
    if isinstance(error, ValidationError):
        return error_response(400, "invalid_request", _validation_message(error))
    if isinstance(error, agent_errors.AgentError):
        allowed: Any = getattr(error, "allowed", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else None
        return error_response(error.status, error.code, str(error), headers)
    if isinstance(error, runtime_errors.ObjectBusy):
        retry = str(max(1, math.ceil(error.retry_after)))
        return error_response(503, error.code, str(error), {"Retry-After": retry})
    if isinstance(error, runtime_errors.ObjectCallError):
        known = _remote_status(error.error_type)
        if known is None:
            # an unexpected failure inside the object: say so, without its internals
            return error_response(502, error.code, f"the agent could not answer ({error.error_type})")
        return error_response(known[0], known[1], str(error))
    for kind, status in _RUNTIME_STATUS.items():
        if isinstance(error, kind):
            headers = {"Retry-After": "1"} if status == 503 else None
            return error_response(status, error.code, str(error), headers)  # type: ignore[attr-defined]
    if isinstance(error, runtime_errors.ServiceUnavailable) or runtime_errors.is_transient_aws_error(error):
        return _unavailable()
    return None


def run_turn(call: Callable[[], T]) -> T:
    """Run a turn in this function (one function per turn) and fail as the object host did: an
    unexpected error inside the agent is :class:`ObjectCallError` (502, its internals not echoed), a
    known one (busy, not found, refused...) is itself.

    Args:
        call: the stub call that runs the turn.

    Returns:
        what the call returned.

    Raises:
        ObjectCallError: for an unexpected failure of the agent.
    """
    try:
        return call()
    except Exception as error:
        if map_exception(error) is not None:
            raise
        logger.exception("the agent failed")
        raise runtime_errors.ObjectCallError("the agent failed", type(error).__name__) from error
