"""Faults: DynamoDB failing under the runtime, a handler killed mid-turn, tools and the model failing.

DynamoDB faults are injected with botocore event hooks on the very client the runtime uses
(:mod:`tests.support.faults`): throttling, HTTP 500 (with and without the write applied), read
timeouts, and writes that succeed but whose response is lost (botocore's standard retry re-sends them).
Whatever happens, a turn is retried or fails cleanly, no state is ever half-written, and with an
idempotency key no turn is applied twice: counts and histories come out exact.

The first half runs on ``mock_aws`` (in-process); the second half on the local stack's moto *server*
(real HTTP) and must come after it in this file: moto's backends are global, and a ``mock_aws`` test
starting while the server stack is up would reset the server's tables.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from durable_agents.runtime import DurableObjectError, Env
from durable_agents.runtime.table import STATE_SK, StateTable
from tests.conftest import TABLE, make_env
from tests.support.faults import APPLIED_KINDS, KINDS, FaultInjector, fast_throttle_backoff
from tests.support.stack import full_history, stored_view

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

SOAK = os.environ.get("SOAK") == "1"
ROOT = Path(__file__).resolve().parent.parent
TURN_ERRORS = (DurableObjectError, ClientError, BotoCoreError)
"""What a failed turn may raise to its caller: the runtime's errors, or the AWS error that ended it."""


@pytest.fixture(autouse=True)
def _quick_throttle_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_throttle_backoff(monkeypatch)


def state_item(dynamodb: Any, pk: str, table: str = TABLE) -> dict[str, Any]:
    return dynamodb.get_item(
        TableName=table, Key={"pk": {"S": pk}, "sk": {"S": STATE_SK}}, ConsistentRead=True
    )["Item"]


def check_consistent(table: StateTable, pk: str) -> tuple[int, list[dict[str, Any]]]:
    """The object's count and whole history, after checking they agree (nothing half-written): the
    count is the sum of the entries, which are numbered 1..n with no gaps."""
    storage, _ = stored_view(table, pk)
    history = full_history(table, pk)
    tally = storage.get("tally") or {"count": 0}
    assert tally["count"] == sum(entry["by"] for entry in history)
    return tally["count"], history


def keyed_increment(env: Env, name: str, key: str, *, attempts: int = 40) -> tuple[int, int]:
    """``increment`` with an idempotency key, retried (same key) until it answers; (result, retries)."""
    stub = env.COUNTER.get_by_name(name)
    for attempt in range(attempts):
        try:
            return stub.increment(who=key, idempotency_key=key), attempt
        except TURN_ERRORS:
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError(f"{key} never got through")


# --- one fault at each step of a turn: botocore retries it, the caller never notices -------------------

STEPS: dict[str, Callable[[Any], Any]] = {
    # step -> a call whose turn makes that request (acquire + TransactWriteItems commit, ...)
    "acquire": lambda stub: stub.increment(who="x", idempotency_key="step-call"),
    "commit": lambda stub: stub.increment(who="x", idempotency_key="step-call"),
    "commit_update": lambda stub: stub.put_many({"solo": 1}),
    "release": lambda stub: stub.noop(),
    "read": lambda stub: stub.count(),
}
PHASE_OF_STEP = {"commit_update": "commit"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", list(STEPS))
def test_one_fault_at_any_step_is_retried_and_applied_once(dynamodb: Any, kind: str, step: str) -> None:
    env = make_env(dynamodb, lease_seconds=30, busy_wait_seconds=2)
    stub = env.COUNTER.get_by_name(f"one-{kind}-{step}")
    assert stub.increment(who="before", idempotency_key="before") == 1
    with FaultInjector(dynamodb) as faults:
        operations = {"commit_update": ["UpdateItem"], "commit": ["TransactWriteItems"]}.get(step)
        faults.add(kind, phases=[PHASE_OF_STEP.get(step, step)], operations=operations, times=1)
        started = time.monotonic()
        result = STEPS[step](stub)
        assert time.monotonic() - started < 1.5  # no waiting for a lease the turn itself took
        assert faults.total == 1
    if step in ("acquire", "commit"):
        assert result == 2
        assert stub.increment(who="x", idempotency_key="step-call") == 2  # a retry replays, applies nothing
    count, history = check_consistent(env.table, stub.id.key)
    assert count == (2 if step in ("acquire", "commit") else 1)
    assert [entry["who"] for entry in history] == ["before"] + (["x"] if count == 2 else [])
    assert "owner" not in state_item(dynamodb, stub.id.key)  # the lease was given back


# --- a fault that outlasts botocore's retries: the turn fails cleanly; a keyed retry applies once ------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("phase", ["acquire", "commit"])
def test_persistent_fault_fails_cleanly_and_the_keyed_retry_applies_once(
    dynamodb: Any, kind: str, phase: str
) -> None:
    env = make_env(dynamodb, lease_seconds=0.5, busy_wait_seconds=3)
    stub = env.COUNTER.get_by_name(f"persistent-{kind}-{phase}")
    assert stub.increment(who="before", idempotency_key="before") == 1
    before = state_item(dynamodb, stub.id.key)
    with FaultInjector(dynamodb) as faults:
        faults.add(kind, phases=[phase])
        with pytest.raises(TURN_ERRORS):
            stub.increment(who="k", idempotency_key="k")
        # every attempt botocore makes: the first and its retries (config ``max_attempts`` = 4 retries)
        assert faults.count(kind, phase) == dynamodb.meta.config.retries["total_max_attempts"] == 5
    count, history = check_consistent(env.table, stub.id.key)
    if kind in APPLIED_KINDS and phase == "commit":
        # the commit went through although the caller heard nothing back: applied exactly once
        assert count == 2 and [e["who"] for e in history] == ["before", "k"]
    else:
        assert count == 1 and [e["who"] for e in history] == ["before"]
        after = state_item(dynamodb, stub.id.key)
        for attribute in ("kv", "tail", "seq", "paged", "gen", "own"):
            assert after.get(attribute) == before.get(attribute), attribute
    # the caller retries with the same key (after any lease the failed attempt left has run out)
    assert stub.increment(who="k", idempotency_key="k") == 2
    assert stub.increment(who="k", idempotency_key="k") == 2
    count, history = check_consistent(env.table, stub.id.key)
    assert count == 2 and [e["who"] for e in history] == ["before", "k"]


# --- a storm of random faults under contention ------------------------------------------------------------


def run_storm(
    dynamodb: Any, *, objects: int, threads_per_object: int, turns: int, probability: float
) -> None:
    env = make_env(dynamodb, lease_seconds=3, busy_wait_seconds=10)
    faults = FaultInjector(dynamodb, seed=7).attach()
    for offset, kind in enumerate(KINDS):  # every kind a few times for sure ...
        faults.add(kind, every=11 + offset, times=3)
    for kind in KINDS:  # ... and all of them at random
        faults.add(kind, probability=probability / len(KINDS))
    retries = 0
    try:

        def client(worker: int) -> list[str]:
            nonlocal retries
            name = f"storm-{worker % objects}"
            keys = []
            for turn in range(turns):
                key = f"w{worker}-{turn:04d}"
                _, tries = keyed_increment(env, name, key)
                retries += tries
                keys.append(key)
            return keys

        workers = objects * threads_per_object
        with ThreadPoolExecutor(workers) as pool:
            sent = list(pool.map(client, range(workers)))
    finally:
        faults.detach()

    assert faults.total > 0 and all(faults.count(kind) > 0 for kind in KINDS), faults.injected
    for o in range(objects):
        count, history = check_consistent(env.table, env.COUNTER.id_from_name(f"storm-{o}").key)
        mine = [keys for worker, keys in enumerate(sent) if worker % objects == o]
        assert count == threads_per_object * turns, f"storm-{o}: {count} increments applied"
        recorded = [entry["who"] for entry in history]
        assert sorted(recorded) == sorted(key for keys in mine for key in keys)  # each exactly once
        for keys in mine:  # and in each client's order
            assert [key for key in recorded if key in set(keys)] == keys
    print(f"\nstorm: {faults.total} faults injected {dict(faults.injected)}; {retries} client retries")


def test_random_faults_under_contention_keep_counts_and_histories_exact(dynamodb: Any) -> None:
    run_storm(dynamodb, objects=2, threads_per_object=3, turns=8, probability=0.12)


@pytest.mark.soak
@pytest.mark.skipif(not SOAK, reason="long run: make soak (SOAK=1)")
def test_soak_random_faults_under_contention(dynamodb: Any) -> None:
    run_storm(dynamodb, objects=4, threads_per_object=4, turns=50, probability=0.1)


# ======================================================================================================
# The local stack on moto's server (real HTTP). Keep these after the mock_aws tests above.
# ======================================================================================================

from durable_agents.api.identity import scoped_key  # noqa: E402
from tests.support.api_client import ApiClient  # noqa: E402
from tests.support.crash_objects import BINDINGS as CRASH_BINDINGS  # noqa: E402
from tests.support.stack import HttpStack, http_stack  # noqa: E402


@pytest.fixture(scope="module")
def api() -> Iterator[HttpStack]:
    with http_stack() as stack:
        yield stack


def spawn(args: list[str], environ: dict[str, str] | None = None) -> subprocess.Popen[str]:
    pythonpath = os.pathsep.join([str(ROOT), str(ROOT / "shared")])
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.crash_objects", *args],
        cwd=ROOT,
        env={**os.environ, **(environ or {}), "PYTHONPATH": pythonpath},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], wanted: str, timeout: float = 30.0) -> list[str]:
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.append(line.strip())
            if line.strip() == wanted:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout):
        process.kill()
        raise AssertionError(f"no {wanted!r} from the child: {lines} {process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
    return lines


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]


def test_a_process_killed_mid_turn_leaves_a_lease_that_expires_and_loses_nothing(api: HttpStack) -> None:
    dynamodb = api.dynamodb()
    child = spawn(["counter", api.stack.endpoint_url or "", api.table_name, "killed-counter", "1.5"])
    lines = wait_for_line(child, "HOLDING")
    assert lines[0] == "COMMITTED 1"
    env = Env(
        make_env(dynamodb).settings.model_copy(
            update={"state_table": api.table_name, "busy_wait_seconds": 10}
        ),
        CRASH_BINDINGS,
        dynamodb=dynamodb,
    )
    stub = env.CRASHY.get_by_name("killed-counter")
    assert "owner" in state_item(dynamodb, stub.id.key, api.table_name)  # the child holds the lease
    kill(child)
    assert "owner" in state_item(dynamodb, stub.id.key, api.table_name)  # ... and left it behind

    started = time.monotonic()
    assert stub.add(5, who="after-crash") == 6  # waited for the lease to run out, then took over
    assert time.monotonic() - started < 5
    assert stub.count() == 6
    assert stub.entries() == [{"by": 1, "who": "before-crash"}, {"by": 5, "who": "after-crash"}]
    assert "owner" not in state_item(dynamodb, stub.id.key, api.table_name)


def test_a_chat_turn_killed_mid_turn_does_not_block_the_session(api: HttpStack) -> None:
    client = ApiClient(api.url)
    session, user = "crash-s1", "crash-u1"
    assert client.chat("Plan a trip to Rome", session=session, user=user, key="crash-k0").status == 200
    child = spawn(
        ["chat", session, user, "crash-k1", "from Boston, 4 days in May, 2 adults"],
        {"OBJECT_HOST_FUNCTION": "", "LEASE_SECONDS": "1.5"},
    )
    wait_for_line(child, "HOLDING")
    kill(child)  # both the conversation's and the travel agent's leases are left behind

    started = time.monotonic()
    reply = client.chat("What's the weather like there?", session=session, user=user, key="crash-k2")
    assert reply.status == 200, reply.body[:300]
    assert time.monotonic() - started < 10
    assert client.unexpected_5xx == []
    k0, k2 = (scoped_key(user, "turn", key) for key in ("crash-k0", "crash-k2"))
    assert [(e["role"], e["messageId"]) for e in client.transcript(session, user)] == [
        ("user", k0),
        ("agent", k0),
        ("user", k2),
        ("agent", k2),
    ]


def test_chat_turns_under_random_dynamodb_faults_are_exact(api: HttpStack) -> None:
    client = ApiClient(api.url)
    runtime_client = api.runtime_dynamodb()  # the client the handlers' runtime uses (same process)
    session, user = "faulty-s1", "faulty-u1"
    assert client.chat("Plan a trip to Paris", session=session, user=user, key="f-0").status == 200
    faults = FaultInjector(runtime_client, seed=3).attach()
    for kind in KINDS:
        faults.add(kind, probability=0.05)
    sent = ["f-0"]
    texts = [
        "from Boston, 5 days in May, 2 adults",
        "make it 3 people",
        "Hotels in Paris",
        "Things to do?",
        "What's the weather like?",
        "budget 4000 USD",
        "I love museums",
        "Flights from Boston",
    ]
    try:
        for n, text in enumerate(texts * (3 if SOAK else 1), start=1):
            key = f"f-{n}"
            for _ in range(10):  # a clean failure is retried by the client with the same key
                reply = client.chat(text, session=session, user=user, key=key)
                if reply.status == 200:
                    break
                assert reply.status in (502, 503), reply.body[:300]
                assert set(reply.json()["error"]) == {"code", "message"}
            assert reply.status == 200
            sent.append(key)
    finally:
        faults.detach()
    assert faults.total > 0
    history = client.transcript(session, user)
    sent = [scoped_key(user, "turn", key) for key in sent]
    assert [e["messageId"] for e in history if e["role"] == "user"] == sent
    assert [e["messageId"] for e in history if e["role"] == "agent"] == sent


def test_chat_while_dynamodb_throttles_answers_503_then_recovers_exactly_once(api: HttpStack) -> None:
    client = ApiClient(api.url)
    runtime_client = api.runtime_dynamodb()
    session, user = "throttled-s1", "throttled-u1"
    assert client.chat("Plan a trip to Tokyo", session=session, user=user, key="t-0").status == 200
    with FaultInjector(runtime_client) as faults:
        faults.add("throttle")  # every request, for as long as it lasts
        reply = client.raw(
            "POST",
            "/chat",
            json.dumps({"message": "from Paris", "sessionId": session, "userId": user}).encode(),
            {"Idempotency-Key": "t-1"},
        )
    assert faults.total >= 5
    assert reply.status == 503 and reply.headers["retry-after"] == "1", reply.body[:300]
    assert reply.json()["error"]["code"] == "unavailable"
    assert set(reply.json()["error"]) == {"code", "message"} and "Traceback" not in reply.body.decode()
    again = client.chat("from Paris", session=session, user=user, key="t-1")
    assert again.status == 200
    history = client.transcript(session, user)
    assert [e["messageId"] for e in history if e["role"] == "user"] == [
        scoped_key(user, "turn", key) for key in ("t-0", "t-1")
    ]


# --- tools and the language model failing: the user still gets an answer, or a clear error ----------------

from tests.support.agents import registry_with_failure  # noqa: E402


class BrokenModel:
    """The embedded engine with one method that fails (a provider outage, a bug)."""

    def __init__(self, broken: str):
        from durable_agents.llm.embedded import EmbeddedLanguageModel

        self.broken = broken
        self.inner = EmbeddedLanguageModel()

    def __getattr__(self, name: str) -> Any:
        if name == self.broken:

            def fail(*args: Any, **kwargs: Any) -> Any:
                raise RuntimeError(f"model {name} failed: internal detail /opt/python/x.py line 3")

            return fail
        return getattr(self.inner, name)


class BrokenRegistry:
    """A tool registry that cannot run anything at all."""

    def __init__(self, inner: Any):
        self.inner = inner

    def names(self) -> list[str]:
        return self.inner.names()

    def run_parallel(self, calls: Any, *, timeout: float) -> Any:
        raise RuntimeError("registry exploded: internal detail")


@pytest.fixture
def travel_agent_hooks() -> Iterator[Any]:
    from durable_agents.agents.travel import TravelAgent

    yield TravelAgent
    TravelAgent.language_model = None
    TravelAgent.tool_registry = None


@pytest.mark.parametrize("failure", ["error", "crash", "malformed"])
def test_a_failing_tool_still_gets_the_user_an_answer(
    api: HttpStack, travel_agent_hooks: Any, failure: str
) -> None:
    travel_agent_hooks.tool_registry = registry_with_failure("weather", failure)
    client = ApiClient(api.url)
    reply = client.chat(
        "Plan a trip to Lisbon from Boston, 5 days in May, 2 adults", session=f"tool-{failure}", user="tool-u"
    )
    assert reply.status == 200, reply.body[:300]
    body = reply.json()
    assert body["content"].strip()
    assert "weather" in body["metadata"]["failedTools"]
    assert "weather" in body["metadata"]["toolsUsed"] and len(body["metadata"]["toolsUsed"]) > 1
    assert not any(source["name"].startswith("weather:") for source in body["sources"])
    assert any(tool["ok"] for tool in body["data"]["tools"])  # the other tools answered


def test_every_tool_failing_still_answers(api: HttpStack, travel_agent_hooks: Any) -> None:
    from durable_agents.tools import ToolRegistry
    from tests.support.agents import TOOL_MODULES, failing_provider

    travel_agent_hooks.tool_registry = ToolRegistry(
        module.tool(failing_provider("crash")) for module in TOOL_MODULES.values()
    )
    reply = ApiClient(api.url).chat(
        "Weather and hotels in Rome next week", session="tools-down", user="tool-u"
    )
    assert reply.status == 200, reply.body[:300]
    body = reply.json()
    assert body["content"].strip()
    assert body["metadata"]["toolsUsed"] and set(body["metadata"]["failedTools"]) == set(
        body["metadata"]["toolsUsed"]
    )
    assert body["sources"] == []


@pytest.mark.parametrize("broken", ["extract", "plan", "compose", "registry"])
def test_a_failing_model_or_registry_is_a_clear_error_and_changes_nothing(
    api: HttpStack, travel_agent_hooks: Any, broken: str
) -> None:
    client = ApiClient(api.url)
    session, user = f"llm-{broken}", "llm-u"
    assert client.chat("Plan a trip to Vienna", session=session, user=user, key=f"ok-{broken}").status == 200

    def view() -> Any:
        """The session as its owner sees it: transcript, slots and plan (activity times aside)."""
        body = client.send("GET", f"/sessions/{session}", headers={"X-User-Id": user}).json()
        return {key: body[key] for key in ("turns", "slots", "plan")}

    before = view()

    if broken == "registry":
        from durable_agents.agents.travel import default_tool_registry
        from durable_agents.runtime import default_env

        travel_agent_hooks.tool_registry = BrokenRegistry(default_tool_registry(default_env().settings))
    else:
        travel_agent_hooks.language_model = BrokenModel(broken)
    question = "What's the weather like there in June?"
    reply = client.chat(question, session=session, user=user, key=f"broken-{broken}")
    assert reply.status == 502, reply.body[:300]
    text = reply.body.decode()
    assert set(reply.json()["error"]) == {"code", "message"} and reply.json()["error"]["message"]
    assert "internal detail" not in text and "Traceback" not in text and ".py" not in text
    assert view() == before  # nothing recorded

    travel_agent_hooks.language_model = None
    travel_agent_hooks.tool_registry = None
    again = client.chat(
        "What's the weather like there in June?", session=session, user=user, key=f"broken-{broken}"
    )
    assert again.status == 200  # the same turn, retried once the model is back, is answered and recorded once
    history = client.transcript(session, user)
    assert [e["messageId"] for e in history if e["role"] == "user"] == [
        scoped_key(user, "turn", key) for key in (f"ok-{broken}", f"broken-{broken}")
    ]
