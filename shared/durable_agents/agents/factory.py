"""``AgentFactory``: the seed's object naming, and stubs for each kind of agent.

========================  ==========================  ==========================
agent                     binding                     object name
========================  ==========================  ==========================
TravelAgent               ``TRAVEL_AGENT``            ``travel:<sessionId>``
ConversationManager       ``CONVERSATION_MANAGER``    ``conversation:<conversationId>``
ScrapingAgent             ``SCRAPING_AGENT``          ``scraping:<taskId>``
SessionManager            ``SESSION_MANAGER``         ``session:<userId>``
========================  ==========================  ==========================

A chat session's objects are named by its **session key**, :func:`session_key` of the owner and the
session id the client sees (``/chat``'s ``sessionId``): ``conversation:<key>`` talks to ``travel:<key>``
and, for pages, ``scraping:<key>``. The key is a hash, so the same ``sessionId`` sent by two users names
two unrelated sessions, and nobody can reach (or squat) another user's session by guessing its id.
"""

from __future__ import annotations

import hashlib
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


def session_key(owner: str, session_id: str) -> str:
    """The key naming the objects of ``owner``'s session ``session_id`` (32 hex characters)."""
    return hashlib.sha256(f"session\x00{owner}\x00{session_id}".encode()).hexdigest()[:32]


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
