"""The messages agents exchange and the state they expose (the seed's AgentMessage/AgentResponse/AgentState).

JSON uses camelCase (``sessionId``, ``toolsUsed``); Python uses snake_case.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

MAX_MESSAGE_CHARS = 4000


def utc_now() -> datetime:
    """Now, from the runtime's clock (one clock for leases, alarms and the agents: tests move it once)."""
    from ..runtime import clock

    return datetime.fromtimestamp(clock.source(), UTC)


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class AgentContext(Model):
    session_id: str | None = Field(default=None, max_length=128)
    user_id: str | None = Field(default=None, max_length=128)
    conversation_id: str | None = Field(default=None, max_length=128)
    metadata: dict[str, Any] = Field(default_factory=dict)


class AgentMessage(Model):
    """One message to an agent. ``id`` makes it exactly-once: a repeated id gets the recorded response."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=128)
    type: str = Field(default="chat", min_length=1, max_length=64)
    content: str | dict[str, Any] = ""
    context: AgentContext = Field(default_factory=AgentContext)
    timestamp: datetime = Field(default_factory=utc_now)


class Source(Model):
    name: str
    url: str | None = None
    offline: bool = False
    note: str | None = None


class ResponseMetadata(Model):
    """What an answer says about itself; agents may add fields of their own (``extra="allow"``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    intent: str | None = None
    tools_used: list[str] = Field(default_factory=list)
    timestamp: datetime = Field(default_factory=utc_now)
    failed_tools: list[str] | None = None
    cached: bool | None = None
    coordination_id: str | None = None
    failed_agents: list[str] | None = None


class AgentResponse(Model):
    type: Literal["answer", "clarification", "tool_result", "state", "coordination", "error"] = "answer"
    content: str
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    sources: list[Source] = Field(default_factory=list)
    metadata: ResponseMetadata = Field(default_factory=ResponseMetadata)
    data: dict[str, Any] | None = None


class HistoryEntry(Model):
    role: Literal["user", "agent", "system"]
    message_id: str
    content: str
    type: str
    timestamp: datetime = Field(default_factory=utc_now)


class AgentState(Model):
    id: str
    created_at: datetime
    last_updated: datetime
    conversation_history: list[HistoryEntry] = Field(default_factory=list)
    history_length: int = 0
    extracted_slots: dict[str, Any] = Field(default_factory=dict)
    preferences: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
