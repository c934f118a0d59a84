"""Api function: the REST API (POST /chat, GET /health, /agents/{namespace}/{name}/...)."""

from durable_agents.api.app import handler

__all__ = ["handler"]
