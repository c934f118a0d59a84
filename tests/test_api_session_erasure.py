"""``DELETE /sessions/{id}`` racing ``/chat`` on the same session, through the HTTP API of the local
stack: after both, what ``/sessions`` lists, what ``GET`` shows and what the table holds agree, and
nothing said before the DELETE survives anywhere. Checked after every round, then once more by a fresh
Env (another process's view) reading the table."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

from durable_agents.agents.factory import session_key
from durable_agents.agents.models import AgentContext, AgentMessage
from durable_agents.config import Settings
from durable_agents.runtime import Env, ObjectStub, default_env
from durable_agents.runtime.alarms import Sweeper, alarm_event
from durable_agents.runtime.host import host_call
from tests.support.agents import AGENT_BINDINGS
from tests.support.api_client import ApiClient
from tests.support.sessions import remnants, stored_text
from tests.support.stack import HttpStack

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

ROUNDS = 8
"""Rounds of the DELETE/chat race in the fast tier; the slow tier runs :data:`SLOW_ROUNDS` (the old
code failed at round 14 of 30, so the fast tier's rounds each force the race with threads as well)."""
SLOW_ROUNDS = 30
OLD_WORDS = ("Kyoto", "Osaka")


def as_user(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


def sweep() -> None:
    """The alarm sweeper's pass (``make run`` runs one every quarter second; this stack has none)."""
    env = default_env()
    sweeper = Sweeper(env.table, lambda pk: host_call(alarm_event(pk), env))
    sweeper.sweep()
    sweeper.drain()


def check_one_set(local: HttpStack, env: Env, api: ApiClient, user: str, session: str) -> bool:
    """The invariant: listed <=> GET 200 <=> a conversation is stored; nothing of the old trip anywhere.
    Returns whether the session is (still, or again) there."""
    listed = session in [
        s["sessionId"] for s in api.send("GET", "/sessions", headers=as_user(user)).json()["sessions"]
    ]
    shown = api.send("GET", f"/sessions/{session}", headers=as_user(user))
    left = remnants(local.table(), env, user, session)
    stored = "conversation" in left.get("conversation", {}).get("keys", [])
    assert listed == (shown.status == 200) == stored, (listed, shown.status, left)
    text = stored_text(local.table(), env, user, session) + shown.body.decode()
    assert not any(word in text for word in OLD_WORDS), text[:500]
    if not stored:
        assert left == {}, left
    return listed


def plan(api: ApiClient, user: str, session: str) -> None:
    assert api.chat("Plan a trip to Kyoto", session=session, user=user).status == 200
    assert api.chat("from Osaka, 3 days in April", session=session, user=user).status == 200


def fresh_env(local: HttpStack) -> Env:
    return Env(Settings(state_table=local.table_name), AGENT_BINDINGS, dynamodb=local.dynamodb())


@pytest.mark.parametrize("after", ["end_session", "erase_session", "delete_session"])
def test_a_chat_landing_inside_a_delete_neither_resurrects_nor_keeps_the_old_session(
    local: HttpStack, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    """Deterministic interleavings: a chat turn runs right after one step of the DELETE (today's steps,
    and the ones before this fix: the conversation wiped, then the session ended)."""
    api = ApiClient(local.url)
    user, session = f"interleave-{after}", "s1"
    plan(api, user, session)
    original = ObjectStub.call
    fired: list[Any] = []

    def call(self: ObjectStub, method: str, *args: Any, **kwargs: Any) -> Any:
        result = original(self, method, *args, **kwargs)
        if method == after and not fired:
            fired.append(method)
            message = AgentMessage(
                type="chat", content="hotels please", context=AgentContext(session_id=session, user_id=user)
            )
            conversation = default_env().CONVERSATION_MANAGER.get_by_name(
                f"conversation:{session_key(user, session)}"
            )
            fired.append(original(conversation, "route_message", message, idempotency_key=message.id))
        return result

    monkeypatch.setattr(ObjectStub, "call", call)
    assert api.send("DELETE", f"/sessions/{session}", headers=as_user(user)).status == 200
    monkeypatch.undo()
    assert fired and fired[0] == after or after == "delete_session"
    sweep()
    check_one_set(local, default_env(), api, user, session)
    check_one_set(local, fresh_env(local), api, user, session)


def race(deleter: ApiClient, chatter: ApiClient, user: str, session: str) -> dict[str, int]:
    """A DELETE and a chat of ``session`` sent together (the chat up to 30 ms later); their statuses."""
    start = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def delete() -> None:
        start.wait()
        statuses["delete"] = deleter.send("DELETE", f"/sessions/{session}", headers=as_user(user)).status

    def chat() -> None:
        start.wait()
        time.sleep(random.uniform(0, 0.03))
        statuses["chat"] = chatter.chat("hotels please", session=session, user=user).status

    threads = [threading.Thread(target=delete), threading.Thread(target=chat)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.mark.parametrize("rounds", [ROUNDS, pytest.param(SLOW_ROUNDS, marks=pytest.mark.slow)])
def test_delete_racing_chat_many_times_keeps_one_set(local: HttpStack, rounds: int) -> None:
    user = f"hammer-{rounds}"
    deleter, chatter, checker = ApiClient(local.url), ApiClient(local.url), ApiClient(local.url)
    outcomes = {"chat first": 0, "chat last": 0}
    for round_ in range(rounds):
        session = f"race-{round_}"
        plan(checker, user, session)
        assert race(deleter, chatter, user, session) == {"delete": 200, "chat": 200}
        sweep()
        there = check_one_set(local, default_env(), checker, user, session)
        outcomes["chat last" if there else "chat first"] += 1
    fresh = fresh_env(local)
    for round_ in range(rounds):
        check_one_set(local, fresh, checker, user, f"race-{round_}")
    assert sum(outcomes.values()) == rounds


def test_a_delete_that_erased_leaves_nothing_for_the_managers_alarm(local: HttpStack) -> None:
    api = ApiClient(local.url)
    user = "tidy"
    plan(api, user, "gone")
    plan(api, user, "kept")
    manager = default_env().SESSION_MANAGER.id_from_name(f"session:{user}").key
    expiry = local.table().peek(manager).alarm
    assert expiry is not None
    assert api.send("DELETE", "/sessions/gone", headers=as_user(user)).status == 200
    assert remnants(local.table(), default_env(), user, "gone") == {}
    after = local.table().peek(manager).alarm  # "kept"'s expiry, not an erasure due now
    assert after is not None and after >= expiry and after > (time.time() + 6 * 86_400) * 1000
