"""The agents: durable objects that answer messages (the seed's agent Durable Objects).

- ``TRAVEL_AGENT`` -> ``durable_agents.agents.travel:TravelAgent``, named ``travel:<sessionId>``
- ``SCRAPING_AGENT`` -> ``durable_agents.agents.scraping:ScrapingAgent``, named ``scraping:<taskId>``
- ``CONVERSATION_MANAGER`` -> ``durable_agents.agents.conversation:ConversationManager``, named
  ``conversation:<sessionId>``
- ``SESSION_MANAGER`` -> ``durable_agents.agents.session:SessionManager``, named ``session:<userId>``

Importing this package is cheap: each class is imported from its module on first access
(``from durable_agents.agents import TravelAgent`` works; the bindings name the modules directly).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "BaseAgent": ".base",
    "TravelAgent": ".travel",
    "ScrapingAgent": ".scraping",
    "ConversationManager": ".conversation",
    "SessionManager": ".session",
    "AgentFactory": ".factory",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
