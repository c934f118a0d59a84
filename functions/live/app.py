"""Live function: the WebSocket API's $connect, $disconnect and $default routes (chat turns run here)."""

from durable_agents.api.live import handler

__all__ = ["handler"]
