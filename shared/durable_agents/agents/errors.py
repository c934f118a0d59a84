"""Errors the agents raise, each with the HTTP status the API answers with."""

from __future__ import annotations


class AgentError(Exception):
    """Base class: ``code`` and ``status`` become the API's ``{"error": {"code", "message"}}``."""

    code = "agent_error"
    status = 400


class InvalidMessage(AgentError):
    code = "invalid_message"
    status = 400


class UnsupportedMessageType(AgentError):
    code = "unsupported_message_type"
    status = 400


class Forbidden(AgentError):
    """The caller is not the user this session or conversation belongs to."""

    code = "forbidden"
    status = 403


class NotFound(AgentError):
    code = "not_found"
    status = 404


class MethodNotAllowed(AgentError):
    """The path exists but not for this HTTP method; ``allowed`` lists the methods it accepts."""

    code = "method_not_allowed"
    status = 405

    def __init__(self, message: str, allowed: list[str] | tuple[str, ...] = ()):
        super().__init__(message)
        self.allowed = sorted(allowed)
