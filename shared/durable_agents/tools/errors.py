"""Errors a tool provider raises on purpose; the registry turns them into ``ok=False`` results."""

from __future__ import annotations


class ToolError(Exception):
    """The tool could not answer; the message is safe to show (no secrets, no stack trace)."""


class UpstreamError(ToolError):
    """An upstream API failed: unreachable, timed out, an HTTP error status, or data of the wrong shape."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
