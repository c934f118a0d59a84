"""Processes for the crash tests: each holds an object's lease mid-turn until the parent test SIGKILLs it.

``python -m tests.support.crash_objects counter <endpoint> <table> <name> <lease seconds>`` runs, against
a moto server: one committed turn (``add(1)``), then a turn that buffers ``add(100)``, prints ``HOLDING``
and sleeps while holding the lease.

``python -m tests.support.crash_objects chat <session> <user> <message id> <text>`` runs one ``/chat``
turn's ConversationManager call in this process (environment: the local stack's, with stub calls
in-process and a short ``LEASE_SECONDS``); the travel agent's language model prints ``HOLDING`` and
sleeps, so both the conversation's and the travel agent's leases are held when the process dies.
"""

from __future__ import annotations

import sys
import time

from durable_agents.runtime import DurableObject, rpc

BINDINGS = {"CRASHY": "tests.support.crash_objects:Crashy"}


class Crashy(DurableObject):
    @rpc
    def add(self, by: int, who: str = "", hold_seconds: float = 0.0) -> int:
        count = (self.storage.get("count") or 0) + by
        self.storage.put("count", count)
        self.storage.history.append({"by": by, "who": who})
        if hold_seconds:
            print("HOLDING", flush=True)
            time.sleep(hold_seconds)
        return count

    @rpc(read_only=True)
    def count(self) -> int:
        return self.storage.get("count") or 0

    @rpc(read_only=True)
    def entries(self) -> list[dict[str, object]]:
        return [entry for _, entry in self.storage.history.list()]


def hold_counter(endpoint: str, table: str, name: str, lease_seconds: float) -> None:
    import boto3

    from durable_agents.config import Settings
    from durable_agents.runtime import Env
    from durable_agents.runtime.aws import client_config

    dynamodb = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", config=client_config()
    )
    env = Env(Settings(state_table=table, lease_seconds=lease_seconds), BINDINGS, dynamodb=dynamodb)
    stub = env.CRASHY.get_by_name(name)
    print("COMMITTED", stub.add(1, who="before-crash"), flush=True)
    stub.add(100, who="crashed", hold_seconds=120)
    print("NOT KILLED", flush=True)


class _SleepyModel:
    """The embedded engine, except that extraction announces itself and then hangs."""

    def __init__(self, inner: object):
        self.inner = inner

    def extract(self, *args: object, **kwargs: object) -> object:
        print("HOLDING", flush=True)
        time.sleep(120)
        return self.inner.extract(*args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def hold_chat(session: str, user: str, message_id: str, text: str) -> None:
    from durable_agents.agents.models import AgentContext, AgentMessage
    from durable_agents.agents.travel import TravelAgent
    from durable_agents.llm.embedded import EmbeddedLanguageModel
    from durable_agents.runtime import default_env

    TravelAgent.language_model = _SleepyModel(EmbeddedLanguageModel())  # type: ignore[assignment]
    env = default_env()
    assert not env.settings.object_host_function, "stub calls must run in this process"
    message = AgentMessage(
        id=message_id, type="chat", content=text, context=AgentContext(session_id=session, user_id=user)
    )
    env.CONVERSATION_MANAGER.get_by_name(f"conversation:{session}").call(
        "route_message", message, idempotency_key=message_id
    )
    print("NOT KILLED", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "counter":
        hold_counter(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        hold_chat(*sys.argv[2:6])
