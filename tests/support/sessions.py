"""What a session's objects hold, read straight from the table: for the erasure tests."""

from __future__ import annotations

from typing import Any

from durable_agents.agents.factory import KINDS, object_name, session_key
from durable_agents.runtime import Env
from durable_agents.runtime.table import StateTable
from tests.support.stack import stored_view

SESSION_KINDS = ("conversation", "travel", "scraping")


def remnants(table: StateTable, env: Env, user: str, session_id: str) -> dict[str, Any]:
    """``{kind: {"keys": [...], "history": n, "alarm": ms}}`` of each object of the user's session that
    still holds anything (``{}``: nothing left of it)."""
    key = session_key(user, session_id)
    left: dict[str, Any] = {}
    for kind in SESSION_KINDS:
        object_id = env.namespace(KINDS[kind].binding).id_from_name(object_name(kind, key))
        storage, snapshot = stored_view(table, object_id.key)
        if not snapshot.exists:
            continue
        keys = sorted(storage.list())
        history = len(storage.history)
        if keys or history or snapshot.alarm is not None:
            left[kind] = {"keys": keys, "history": history, "alarm": snapshot.alarm}
    return left


def stored_text(table: StateTable, env: Env, user: str, session_id: str) -> str:
    """Every value and history entry the session's objects hold, as one text (to look for old words)."""
    key = session_key(user, session_id)
    parts: list[str] = []
    for kind in SESSION_KINDS:
        object_id = env.namespace(KINDS[kind].binding).id_from_name(object_name(kind, key))
        storage, snapshot = stored_view(table, object_id.key)
        if snapshot.exists:
            parts.append(repr(storage.list()))
            parts.append(repr(storage.history.list()))
    return "\n".join(parts)
