"""``AgentFactory``: the seed's object naming, and stubs for each kind of agent.

========================  ==========================  ==========================
agent                     binding                     object name
========================  ==========================  ==========================
TravelAgent               ``TRAVEL_AGENT``            ``travel:<sessionId>``
ConversationManager       ``CONVERSATION_MANAGER``    ``conversation:<conversationId>``
ScrapingAgent             ``SCRAPING_AGENT``          ``scraping:<taskId>``
SessionManager            ``SESSION_MANAGER``         ``session:<userId>``
========================  ==========================  ==========================

A conversation's id is its session's id (``/chat``'s ``sessionId``), so ``conversation:<s>`` talks to
``travel:<s>`` and, for pages, ``scraping:<s>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..runtime import Env, ObjectStub


class AgentKind(NamedTuple):
    binding: str
    prefix: str


KINDS: dict[str, AgentKind] = {
    "travel": AgentKind("TRAVEL_AGENT", "travel"),
    "scraping": AgentKind("SCRAPING_AGENT", "scraping"),
    "conversation": AgentKind("CONVERSATION_MANAGER", "conversation"),
    "session": AgentKind("SESSION_MANAGER", "session"),
}
KIND_BY_BINDING = {kind.binding: name for name, kind in KINDS.items()}


def object_name(kind: str, key: str) -> str:
    """``object_name("travel", "s1") == "travel:s1"``."""
    return f"{KINDS[kind].prefix}:{key}"


class AgentFactory:
    """Stubs of the agents, named the seed's way. Build one from an :class:`~durable_agents.runtime.Env`."""

    def __init__(self, env: Env):
        self.env = env

    def stub(self, kind: str, key: str) -> ObjectStub:
        """The stub of agent ``kind`` (``travel``, ``scraping``, ``conversation``, ``session``), ``key``."""
        try:
            binding = KINDS[kind].binding
        except KeyError:
            raise ValueError(f"unknown agent kind {kind!r}; kinds: {', '.join(KINDS)}") from None
        return self.env.namespace(binding).get_by_name(object_name(kind, key))

    def travel_agent(self, session_id: str) -> ObjectStub:
        return self.stub("travel", session_id)

    def conversation(self, conversation_id: str) -> ObjectStub:
        return self.stub("conversation", conversation_id)

    def scraping_agent(self, task_id: str) -> ObjectStub:
        return self.stub("scraping", task_id)

    def session_manager(self, user_id: str) -> ObjectStub:
        return self.stub("session", user_id)
