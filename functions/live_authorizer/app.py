"""LiveAuthorizer function: the WebSocket API's $connect authorizer (verifies the user pool's id token)."""

from durable_agents.api.authorizer import handler

__all__ = ["handler"]
