"""``python -m devstack.bench`` (``make bench``): what a turn costs, paired with a naive baseline.

Writes ``.bench/report.md`` and ``.bench/report.json`` (``--out`` to move them) and prints the Markdown.
Dev-only: it lives in ``devstack/``, which is not part of the deployed layer.

Every figure is measured twice in the same process, on the same moto-backed DynamoDB:

*ours*
    the durable-object runtime: a turn takes the object's lease with one conditional ``UpdateItem``
    that also loads the state, and commits + releases with one ``UpdateItem``/``TransactWriteItems``
    fenced on the lease.
*naive*
    a naive unlocked state store: ``GetItem`` the object's whole state, modify it, ``PutItem`` it back;
    no lock, no condition. Cheap, and under contention it loses updates (counted here).

Sections:

1. **Runtime**: a counter-style turn (read a tally, add one, append a history entry) on ``mock_aws``
   with :func:`devstack.local_patches.patch_local_stack`: DynamoDB round trips per turn (botocore
   ``before-call`` events), latency p50/p95/p99, turns per second at 1, 8 and 32 concurrent sessions
   (distinct objects), the same turn at history length 10 vs 10,000, and 8 threads x 50 increments
   on ONE object (expected 400).
2. **/chat**: the template's stack on ``mock_aws`` (``start_local_stack(server=False)``), the API
   function invoked in-process with API Gateway proxy events: as deployed (stub calls through Lambda
   invokes of the object host), with in-process stub calls, and the naive store under the very same
   agents; plus a run through the HTTP gateway on loopback (moto server, in a subprocess).
3. **Cold start**: import + init of each function's handler module in a fresh interpreter (median of
   several runs, ``-X importtime`` for the heaviest imports) and the process's peak RSS.
4. **Memory**: tracemalloc peaks of turns (ours and naive).

``--quick`` runs few iterations (for the test suite); timings from it mean little.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"
for _path in (str(ROOT), str(SHARED)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from durable_agents.runtime import DurableObject, rpc  # noqa: E402

FUNCTIONS = {
    "api": ROOT / "functions" / "api" / "app.py",
    "object_host": ROOT / "functions" / "object_host" / "app.py",
    "reaper": ROOT / "functions" / "reaper" / "app.py",
}
REGION = "us-east-1"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass(frozen=True)
class Config:
    quick: bool
    latency_turns: int
    throughput_turns: dict[int, int]  # sessions -> turns per session
    contention_threads: int
    contention_increments: int
    histories: tuple[int, int]
    history_turns: int
    chat_latency_turns: int
    chat_throughput_turns: dict[int, int]
    chat_histories: tuple[int, int]
    chat_history_turns: int
    chat_contention_threads: int
    chat_contention_turns: int
    cold_start_runs: int
    http_turns: int
    memory_turns: int
    open_sessions: bool = True
    """Throughput: open each session with a turn before timing (steady-state turns only)."""

    @classmethod
    def full(cls) -> Config:
        return cls(
            quick=False,
            latency_turns=200,
            throughput_turns={1: 200, 8: 30, 32: 8},
            contention_threads=8,
            contention_increments=50,
            histories=(10, 10_000),
            history_turns=100,
            chat_latency_turns=60,
            chat_throughput_turns={1: 40, 8: 8, 32: 3},
            chat_histories=(10, 10_000),
            chat_history_turns=20,
            chat_contention_threads=8,
            chat_contention_turns=5,
            cold_start_runs=5,
            http_turns=30,
            memory_turns=40,
        )

    @classmethod
    def quick_run(cls) -> Config:
        return cls(
            quick=True,
            latency_turns=12,
            throughput_turns={1: 6, 8: 2, 32: 1},
            contention_threads=8,
            contention_increments=5,
            histories=(10, 200),
            history_turns=4,
            chat_latency_turns=4,
            chat_throughput_turns={1: 2, 8: 1, 32: 1},
            chat_histories=(10, 100),
            chat_history_turns=2,
            chat_contention_threads=3,
            chat_contention_turns=2,
            cold_start_runs=1,
            http_turns=3,
            memory_turns=3,
            open_sessions=False,
        )


# --- measuring ---------------------------------------------------------------------------------------


class CallCounter:
    """DynamoDB (or any) API calls made through one client, by operation (botocore ``before-call``)."""

    def __init__(self, client: Any):
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self.calls)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 3),
        "p95_ms": round(percentile(samples_ms, 95), 3),
        "p99_ms": round(percentile(samples_ms, 99), 3),
        "mean_ms": round(statistics.fmean(samples_ms), 3) if samples_ms else float("nan"),
    }


def measure_turns(turn: Callable[[int], Any], turns: int, counter: CallCounter) -> dict[str, Any]:
    """Run ``turn(i)`` ``turns`` times in a row: latency percentiles and round trips per turn."""
    before = counter.snapshot()
    samples = []
    for i in range(turns):
        started = time.perf_counter()
        turn(i)
        samples.append((time.perf_counter() - started) * 1000)
    calls = counter.snapshot() - before
    return {
        **latency_summary(samples),
        "round_trips": round(sum(calls.values()) / turns, 3),
        "calls_per_turn": {name: round(n / turns, 3) for name, n in sorted(calls.items())},
    }


def measure_throughput(turn: Callable[[int, int], Any], sessions: int, turns_each: int) -> dict[str, Any]:
    """``sessions`` threads, each doing ``turns_each`` turns on its own object: turns per second."""
    errors: list[str] = []

    def worker(session: int) -> int:
        done = 0
        for i in range(turns_each):
            try:
                turn(session, i)
                done += 1
            except Exception as error:  # noqa: BLE001 - reported, not fatal
                errors.append(f"{type(error).__name__}: {str(error)[:120]}")
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        done = sum(pool.map(worker, range(sessions)))
    elapsed = time.perf_counter() - started
    return {
        "sessions": sessions,
        "turns": done,
        "seconds": round(elapsed, 3),
        "turns_per_s": round(done / elapsed, 2) if elapsed else float("nan"),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def ratio(ours: float, naive: float) -> float | None:
    if not naive or naive != naive or ours != ours:  # zero or NaN
        return None
    return round(ours / naive, 2)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the block (restored afterwards)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _reset_process_clients() -> None:
    from durable_agents.runtime import aws, reset_default_env

    reset_default_env()
    aws.client.cache_clear()


# --- the objects and the naive store ---------------------------------------------------------------------


class BenchCounter(DurableObject):
    """The runtime's counter-style turn: read a small tally, add one, append a history entry."""

    @rpc
    def increment(self, who: str = "") -> int:
        tally = self.storage.get("tally") or {"count": 0, "last_by": ""}
        tally = {"count": tally["count"] + 1, "last_by": who}
        self.storage.put("tally", tally)
        self.storage.history.append({"by": 1, "who": who})
        return tally["count"]

    @rpc
    def append(self, entries: list[Any]) -> int:
        for entry in entries:
            self.storage.history.append(entry)
        return len(self.storage.history)

    @rpc(read_only=True)
    def count(self) -> int:
        return (self.storage.get("tally") or {}).get("count", 0)


class HistorySeeder(DurableObject):
    """Bound (in the bench's own Env) under an agent's namespace to grow that agent's history."""

    @rpc
    def seed(self, entries: list[Any]) -> int:
        for entry in entries:
            self.storage.history.append(entry)
        return len(self.storage.history)

    @rpc(read_only=True)
    def length(self) -> int:
        return len(self.storage.history)


class NaiveCounterStore:
    """The baseline: GetItem the whole state, modify, PutItem. No lock, no condition."""

    def __init__(self, client: Any, table: str):
        self.client = client
        self.table = table

    def _key(self, name: str) -> dict[str, Any]:
        return {"pk": {"S": f"NAIVE#{name}"}, "sk": {"S": "STATE"}}

    def load(self, name: str) -> dict[str, Any]:
        item = self.client.get_item(TableName=self.table, Key=self._key(name), ConsistentRead=True).get("Item")
        return json.loads(item["state"]["S"]) if item else {"count": 0, "last_by": "", "history": []}

    def save(self, name: str, state: dict[str, Any]) -> None:
        text = json.dumps(state, separators=(",", ":"))
        self.client.put_item(TableName=self.table, Item={**self._key(name), "state": {"S": text}})

    def increment(self, name: str, who: str = "") -> int:
        state = self.load(name)
        state["count"] += 1
        state["last_by"] = who
        state["history"].append({"by": 1, "who": who})
        self.save(name, state)
        return int(state["count"])


def naive_env(settings: Any, declared: dict[str, str], dynamodb: Any, table: str) -> Any:
    """An Env whose stubs run objects over the naive store: each call GetItems the object's whole state
    (key/values and the entire history in one item), runs the method, PutItems it all back. No lease,
    no fencing, no idempotency. The agents' code is the same as ours."""
    from durable_agents.runtime import Env, codec
    from durable_agents.runtime.ids import ObjectId
    from durable_agents.runtime.namespace import Namespace
    from durable_agents.runtime.objects import ObjectContext
    from durable_agents.runtime.storage import DELETED, Storage
    from durable_agents.runtime.table import StateSnapshot

    class NaiveStub:
        def __init__(self, env: Any, object_id: ObjectId):
            self.env = env
            self.id = object_id

        def call(self, method: str, *args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Any:
            args_plain = codec.decode(codec.encode(list(args)))
            kwargs_plain = codec.decode(codec.encode(kwargs))
            key = {"pk": {"S": f"NAIVE#{self.id.key}"}, "sk": {"S": "STATE"}}
            item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            blob = json.loads(item["blob"]["S"]) if item else {"kv": {}, "history": []}
            history = blob["history"]
            snapshot = StateSnapshot(exists=item is not None, hot=dict(blob["kv"]), tail=list(history), seq=len(history))
            storage = Storage(None, key["pk"]["S"], snapshot)  # type: ignore[arg-type]  # all inline: no reads
            cls = self.env.namespace(self.id.namespace).object_class
            ctx = ObjectContext(id=self.id, storage=storage)
            result = codec.encode(getattr(cls(ctx, self.env), method)(*args_plain, **kwargs_plain))
            if storage.dirty:
                kv = dict(blob["kv"])
                for name, value in storage._writes.items():
                    if value is DELETED:
                        kv.pop(name, None)
                    else:
                        kv[name] = value
                blob = {"kv": kv, "history": history + list(storage.history._pending)}
                dynamodb.put_item(
                    TableName=table, Item={**key, "blob": {"S": json.dumps(blob, separators=(",", ":"))}}
                )
            return codec.decode(result)

        def __getattr__(self, method: str) -> Any:
            if method.startswith("_"):
                raise AttributeError(method)
            return lambda *args, **kwargs: self.call(method, *args, **kwargs)

    class NaiveNamespace(Namespace):
        def get(self, object_id: ObjectId) -> Any:  # type: ignore[override]
            return NaiveStub(self.env, object_id)

    class NaiveEnv(Env):
        def __init__(self) -> None:
            super().__init__(settings, declared, dynamodb=dynamodb)
            self._bindings = {name: NaiveNamespace(self, name, path) for name, path in declared.items()}

    return NaiveEnv()


def naive_seed(dynamodb: Any, table: str, object_key: str, entries: list[Any]) -> str | None:
    """Append ``entries`` to a naive object's history; the error if the item cannot hold them."""
    key = {"pk": {"S": f"NAIVE#{object_key}"}, "sk": {"S": "STATE"}}
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    blob = json.loads(item["blob"]["S"]) if item else {"kv": {}, "history": []}
    blob["history"] += [json.dumps(entry, separators=(",", ":")) for entry in entries]
    text = json.dumps(blob, separators=(",", ":"))
    try:
        dynamodb.put_item(TableName=table, Item={**key, "blob": {"S": text}})
    except dynamodb.exceptions.ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error']['Message']} ({len(text) // 1024} KB)"
    return None


def create_table(client: Any, name: str) -> None:
    from devstack.template import SamTemplate

    (spec,) = SamTemplate.load().tables.values()
    client.create_table(**spec.create_table_kwargs(name))


# --- 1. the runtime ----------------------------------------------------------------------------------------


def bench_runtime(config: Config) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from devstack.local_patches import patch_local_stack
    from durable_agents.config import Settings
    from durable_agents.runtime import Env, ObjectBusy
    from durable_agents.runtime.aws import client_config

    patch_local_stack()
    with environment(FAKE_AWS), mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, config=client_config())
        create_table(client, "bench-state")
        create_table(client, "bench-naive")
        counter = CallCounter(client)
        env = Env(
            Settings(state_table="bench-state", busy_wait_seconds=120, lease_seconds=30),
            {"BENCH_COUNTER": "devstack.bench:BenchCounter"},
            dynamodb=client,
        )
        naive = NaiveCounterStore(client, "bench-naive")

        def ours_turn(name: str, who: str) -> int:
            stub = env.BENCH_COUNTER.get_by_name(name)
            while True:
                try:
                    return int(stub.increment(who=who))
                except ObjectBusy:  # never with a 120 s wait budget; kept for honesty
                    time.sleep(0.01)

        variants: dict[str, Callable[[str, str], int]] = {"ours": ours_turn, "naive": naive.increment}
        out: dict[str, Any] = {}
        for variant, turn in variants.items():
            for warm in range(3):
                turn(f"{variant}-latency", f"warm{warm}")
            out[variant] = {"turn": measure_turns(lambda i, t=turn, v=variant: t(f"{v}-latency", f"w{i}"),
                                                  config.latency_turns, counter)}
            out[variant]["throughput"] = {
                str(sessions): measure_throughput(
                    lambda s, i, t=turn, v=variant, n=sessions: t(f"{v}-tp{n}-{s}", f"w{i}"), sessions, turns
                )
                for sessions, turns in config.throughput_turns.items()
            }

        # the same turn at two history lengths
        for variant in variants:
            out[variant]["history"] = {}
        for length in config.histories:
            name = f"history-{length}"
            entries = [{"by": 0, "who": f"seed{i}"} for i in range(length)]
            stub = env.BENCH_COUNTER.get_by_name(name)
            for start in range(0, length, 99):  # a transaction holds 100 items: the state + 99 entries
                stub.append(entries[start : start + 99])
            state = naive.load(name)
            state["history"] += entries
            naive.save(name, state)
            for variant, turn in variants.items():
                result = measure_turns(lambda i, t=turn: t(name, f"h{i}"), config.history_turns, counter)
                out[variant]["history"][str(length)] = result

        # contention: N threads x M increments on ONE object
        threads, per_thread = config.contention_threads, config.contention_increments
        expected = threads * per_thread
        for variant, turn in variants.items():
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda t, tn=turn, v=variant: [tn(f"{v}-hot", f"t{t}") for _ in range(per_thread)],
                              range(threads)))
            got = env.BENCH_COUNTER.get_by_name("ours-hot").count() if variant == "ours" else naive.load("naive-hot")["count"]
            out[variant]["contention"] = {
                "threads": threads, "increments_each": per_thread, "expected": expected,
                "got": got, "lost_updates": expected - got,
            }

        # memory: tracemalloc peak over a few turns of each
        for variant, turn in variants.items():
            tracemalloc.start()
            for i in range(config.memory_turns):
                turn(f"{variant}-memory", f"m{i}")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out[variant]["tracemalloc_peak_kb"] = round(peak / 1024, 1)
    return out


# --- 2. /chat on the embedded stack -----------------------------------------------------------------------

CHAT_MESSAGES = [
    "Plan a trip to {city}",
    "from Boston, 5 days in May, 2 adults, budget 3000 USD",
    "What's the weather like there next week?",
    "Hotels in {city} for 3 nights",
    "make it 4 people",
    "Things to do in {city}?",
    "I love museums and food",
    "What do you know about my trip so far?",
]
CITIES = ["Paris", "Tokyo", "Rome", "Lisbon", "Barcelona", "Vienna", "Prague", "Berlin"]


def chat_text(session_index: int, turn: int) -> str:
    return CHAT_MESSAGES[turn % len(CHAT_MESSAGES)].format(city=CITIES[session_index % len(CITIES)])


def history_entries(count: int, prefix: str) -> list[dict[str, Any]]:
    stamp = datetime.now(UTC).isoformat()
    return [
        {"role": "user" if i % 2 == 0 else "agent", "messageId": f"{prefix}-{i // 2}",
         "content": f"seeded message {i} about a trip to somewhere nice", "type": "chat", "timestamp": stamp}
        for i in range(count)
    ]


def bench_chat(config: Config) -> dict[str, Any]:
    from devstack.gateway import GatewayRequest, build_proxy_event
    from devstack.local_patches import patch_local_stack
    from devstack.moto_stack import start_local_stack
    from durable_agents.agents.models import AgentContext, AgentMessage
    from durable_agents.config import Settings, bindings
    from durable_agents.runtime import Env, ObjectBusy, aws, default_env
    from durable_agents.runtime.ids import id_from_name

    patch_local_stack()
    out: dict[str, Any] = {}
    with environment(FAKE_AWS):
        stack = start_local_stack(server=False)
    try:
        with environment({**stack.environ, "POWERTOOLS_LOG_LEVEL": "ERROR"}):
            _reset_process_clients()
            import logging

            logging.getLogger("devstack.lambda").setLevel(logging.CRITICAL)
            api = stack.functions["ApiFunction"]
            route = next(r for r in stack.template.routes if r.path == "/chat" and r.method == "POST")
            stage = stack.template.api_stage(route.api, stack.values)
            dynamodb = aws.client("dynamodb")
            lambda_client = aws.client("lambda", read_timeout=900)
            counter = CallCounter(dynamodb)
            invokes = CallCounter(lambda_client)
            naive_table = "bench-chat-naive"
            create_table(dynamodb, naive_table)
            import durable_agents.api.app as api_module

            mismatched = 0

            def chat(session: str, user: str, text: str, key: str) -> dict[str, Any]:
                nonlocal mismatched
                body = json.dumps({"message": text, "sessionId": session, "userId": user}).encode()
                request = GatewayRequest("POST", "/chat", "", [("Content-Type", "application/json"),
                                                                ("Idempotency-Key", key)], body, "127.0.0.1")
                event = build_proxy_event(request, route, {}, stage=stage, account_id=stack.values.account_id)
                for _ in range(50):
                    response = api.invoke(event)
                    if response["statusCode"] == 503:  # busy: honour Retry-After (scaled down)
                        time.sleep(0.05)
                        continue
                    break
                if response["statusCode"] != 200:
                    raise RuntimeError(f"/chat answered {response['statusCode']}: {response['body'][:200]}")
                answer = json.loads(response["body"])
                if answer.get("sessionId") != session:
                    mismatched += 1
                return answer

            def use_variant(variant: str) -> Any:
                """Make the API function's env() the variant's; returns the Env."""
                api_module.env = _original_env  # type: ignore[assignment]
                os.environ["OBJECT_HOST_FUNCTION"] = (
                    stack.environ["OBJECT_HOST_FUNCTION"] if variant == "ours_lambda" else ""
                )
                from durable_agents.runtime import reset_default_env

                reset_default_env()
                if variant != "naive":
                    return default_env()
                env = naive_env(Settings.from_environ(os.environ), bindings(), dynamodb, naive_table)
                api_module.env = lambda: env  # type: ignore[assignment]
                return env

            _original_env = api_module.env
            variants = ("ours_lambda", "ours_inprocess", "naive")
            try:
                for variant in variants:
                    use_variant(variant)
                    result: dict[str, Any] = {}
                    user = f"{variant}-user"
                    session = f"{variant}-latency"
                    first = measure_turns(lambda i: chat(session, user, chat_text(0, 0), f"{session}-first"), 1, counter)
                    result["first_turn"] = first
                    before_invokes = invokes.snapshot()
                    result["turn"] = measure_turns(
                        lambda i, s=session: chat(s, user, chat_text(0, i + 1), f"{s}-{i}"),
                        config.chat_latency_turns, counter,
                    )
                    result["turn"]["lambda_invokes"] = round(
                        sum((invokes.snapshot() - before_invokes).values()) / config.chat_latency_turns, 3
                    )
                    result["throughput"] = {}
                    for sessions, turns in config.chat_throughput_turns.items():
                        names = [f"{variant}-tp{sessions}-{s}" for s in range(sessions)]
                        for s, name in enumerate(names if config.open_sessions else []):
                            chat(name, f"{name}-u", chat_text(s, 0), f"{name}-open")  # steady-state turns only
                        result["throughput"][str(sessions)] = measure_throughput(
                            lambda s, i, ns=names: chat(ns[s], f"{ns[s]}-u", chat_text(s, i + 1), f"{ns[s]}-{i}"),
                            sessions, turns,
                        )
                    out[variant] = result

                # the same turn at two history lengths (conversation and travel agent both that long)
                seeder_env = Env(
                    Settings.from_environ(os.environ),
                    {"CONVERSATION_MANAGER": "devstack.bench:HistorySeeder", "TRAVEL_AGENT": "devstack.bench:HistorySeeder"},
                    dynamodb=dynamodb,
                )
                for variant in ("ours_inprocess", "naive"):
                    env = use_variant(variant)
                    out[variant]["history"] = {}
                    for length in config.chat_histories:
                        session, user = f"{variant}-h{length}", f"{variant}-h-user"
                        chat(session, user, chat_text(1, 0), f"{session}-open")
                        seed_error = None
                        for namespace, prefix in (("CONVERSATION_MANAGER", "conversation"), ("TRAVEL_AGENT", "travel")):
                            entries = history_entries(length - 2, f"seed-{prefix}")
                            if variant == "naive":
                                key = id_from_name(namespace, f"{prefix}:{session}").key
                                seed_error = seed_error or naive_seed(dynamodb, naive_table, key, entries)
                            else:
                                stub = seeder_env.namespace(namespace).get_by_name(f"{prefix}:{session}")
                                for start in range(0, len(entries), 99):
                                    stub.seed(entries[start : start + 99])
                        if seed_error:
                            out[variant]["history"][str(length)] = {"error": seed_error}
                            continue
                        out[variant]["history"][str(length)] = measure_turns(
                            lambda i, s=session, u=user: chat(s, u, chat_text(1, i + 1), f"{s}-{i}"),
                            config.chat_history_turns, counter,
                        )

                # contention on ONE session: N clients at once, straight to the conversation (no API)
                threads, turns = config.chat_contention_threads, config.chat_contention_turns
                for variant in ("ours_inprocess", "naive"):
                    env = use_variant(variant)
                    session, user = f"{variant}-hot", f"{variant}-hot-user"
                    stub = env.CONVERSATION_MANAGER.get_by_name(f"conversation:{session}")

                    def client(t: int, stub: Any = stub, session: str = session, user: str = user) -> None:
                        for i in range(turns):
                            key = f"{session}-c{t}-{i}"
                            message = AgentMessage(id=key, type="chat", content=chat_text(t, i),
                                                   context=AgentContext(session_id=session, user_id=user))
                            for _ in range(200):
                                try:
                                    stub.call("route_message", message, idempotency_key=key)
                                    break
                                except ObjectBusy:
                                    time.sleep(0.02)

                    stub.call("route_message", AgentMessage(id=f"{session}-open", type="chat", content="Hello",
                              context=AgentContext(session_id=session, user_id=user)), idempotency_key=f"{session}-open")
                    with ThreadPoolExecutor(threads) as pool:
                        list(pool.map(client, range(threads)))
                    expected = 2 * (threads * turns + 1)
                    got = _history_length(variant, dynamodb, naive_table, stack.physical_id("StateTable"), session)
                    out[variant]["contention"] = {
                        "clients": threads, "turns_each": turns,
                        "expected_history_entries": expected, "got": got, "lost_entries": expected - got,
                    }

                # memory
                for variant in ("ours_inprocess", "naive"):
                    use_variant(variant)
                    session = f"{variant}-memory"
                    chat(session, f"{session}-u", chat_text(2, 0), f"{session}-open")
                    tracemalloc.start()
                    for i in range(config.memory_turns):
                        chat(session, f"{session}-u", chat_text(2, i + 1), f"{session}-{i}")
                    _, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                    out[variant]["tracemalloc_peak_kb"] = round(peak / 1024, 1)
            finally:
                api_module.env = _original_env  # type: ignore[assignment]
            out["mismatched_sessions"] = mismatched
    finally:
        stack.stop()
        _reset_process_clients()
    return out


def _history_length(variant: str, dynamodb: Any, naive_table: str, state_table: str, session: str) -> int:
    from durable_agents.runtime.ids import id_from_name
    from durable_agents.runtime.table import StateTable

    key = id_from_name("CONVERSATION_MANAGER", f"conversation:{session}").key
    if variant == "naive":
        item = dynamodb.get_item(TableName=naive_table, Key={"pk": {"S": f"NAIVE#{key}"}, "sk": {"S": "STATE"}},
                                 ConsistentRead=True)["Item"]
        return len(json.loads(item["blob"]["S"])["history"])
    return StateTable(dynamodb, state_table).peek(key).seq


# --- /chat through the HTTP gateway (a subprocess: it needs moto's server, not mock_aws) ------------------


def bench_http(turns: int) -> dict[str, Any]:
    """``/chat`` over real HTTP on loopback: gateway -> API function -> Lambda (moto server) -> objects."""
    import http.client
    import logging

    from devstack.gateway import ApiGateway
    from devstack.local_patches import patch_local_stack
    from devstack.moto_stack import start_local_stack

    for name in ("werkzeug", "devstack.gateway", "devstack.lambda"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    patch_local_stack()
    with environment(FAKE_AWS):
        stack = start_local_stack(server=True)
    try:
        with environment({**stack.environ, "POWERTOOLS_LOG_LEVEL": "ERROR"}):
            _reset_process_clients()
            gateway = ApiGateway.for_stack(stack).start()
            try:
                host, port = gateway.url.rsplit("//", 1)[1].split(":")
                connection = http.client.HTTPConnection(host, int(port), timeout=60)

                def chat(i: int) -> None:
                    body = json.dumps({"message": chat_text(3, i), "sessionId": "http-s", "userId": "http-u"})
                    connection.request("POST", "/chat", body=body, headers={"Idempotency-Key": f"http-{i}"})
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        raise RuntimeError(f"/chat answered {response.status}")

                chat(-1)
                samples = []
                for i in range(turns):
                    started = time.perf_counter()
                    chat(i)
                    samples.append((time.perf_counter() - started) * 1000)
                return latency_summary(samples)
            finally:
                gateway.stop()
    finally:
        stack.stop()
        _reset_process_clients()


def run_http_subprocess(turns: int) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "devstack.bench", "--http-only", str(turns)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(SHARED)])},
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- 3. cold start ------------------------------------------------------------------------------------------

_COLD_START = r"""
import importlib.util, json, resource, sys, time
started = time.perf_counter()
path, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [layer, path.rsplit("/", 1)[0]]
spec = importlib.util.spec_from_file_location("handler_module", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()
from durable_agents.runtime import default_env
env = default_env()
env.table  # the DynamoDB client every function creates before its first request
initialised = time.perf_counter()
peak_kb = None
try:  # VmHWM: this process's own peak (ru_maxrss also counts the parent's pages from before exec)
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration, ValueError):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "init_ms": (initialised - imported) * 1000,
    "maxrss_mb": peak_kb / 1024,
}))
"""


def bench_cold_start(config: Config) -> dict[str, Any]:
    from devstack.template import SamTemplate

    template = SamTemplate.load()
    values = template.local_values()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BINDING_"))},
        **template.resolve_environment(values),
        **FAKE_AWS,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONPATH": "",
    }
    out: dict[str, Any] = {}
    for name, path in FUNCTIONS.items():
        runs = []
        for _ in range(config.cold_start_runs):
            started = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-c", _COLD_START, str(path), str(SHARED)],
                cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120,
            )
            wall = (time.perf_counter() - started) * 1000
            if completed.returncode != 0:
                out[name] = {"error": completed.stderr.strip().splitlines()[-1:]}
                break
            runs.append({**json.loads(completed.stdout.strip().splitlines()[-1]), "process_ms": wall})
        else:
            out[name] = {
                key: round(statistics.median(run[key] for run in runs), 1)
                for key in ("import_ms", "init_ms", "process_ms", "maxrss_mb")
            } | {"runs": len(runs)}
    # the heaviest imports of the API function (-X importtime, one run)
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _COLD_START, str(FUNCTIONS["api"]), str(SHARED)],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120,
    )
    by_package: Counter[str] = Counter()
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [part.strip() for part in line[len("import time:"):].split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        by_package[parts[2].split(".")[0]] += int(parts[0])  # self time, so nothing is counted twice
    out["api_import_ms_by_package"] = {name: round(us / 1000, 1) for name, us in by_package.most_common(8)}
    return out


# --- the report -------------------------------------------------------------------------------------------


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def latency_cell(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"fails: {result['error']}"
    return f"{fmt(result['p50_ms'], 2)} / {fmt(result['p95_ms'], 2)} / {fmt(result['p99_ms'], 2)}"


def calls_cell(result: dict[str, Any]) -> str:
    if "error" in result:
        return "–"
    calls = ", ".join(f"{name} {fmt(n, 2)}" for name, n in result["calls_per_turn"].items())
    return f"{fmt(result['round_trips'], 2)} ({calls})"


def build_markdown(report: dict[str, Any]) -> str:
    meta, runtime, chat, cold = report["meta"], report["runtime"], report["chat"], report["cold_start"]
    ours, naive = runtime["ours"], runtime["naive"]
    lines = [
        "# durable-agents benchmark",
        "",
        f"{meta['when']} · Python {meta['python']} · {meta['platform']} · {meta['cpus']} CPUs · "
        f"mode: {'quick (few iterations: timings mean little)' if meta['quick'] else 'full'} · "
        f"{meta['seconds']:.0f} s",
        "",
        "DynamoDB is moto (in-process `mock_aws` with `patch_local_stack`; the HTTP row uses moto's server), so "
        "absolute latencies are moto's CPU time, not AWS's network time: round trips and lost updates carry "
        "over to AWS, latency ratios do not (moto spends milliseconds per request converting every "
        "attribute of an item; our STATE item carries the recent history and the recent-message map as "
        "nested attributes, the naive item one string). *naive* = GetItem the whole state, modify, "
        "PutItem; no lock, no condition.",
        "",
        "## Runtime: one counter turn",
        "",
        "| metric | ours (lease + fenced commit) | naive get/put | ours/naive |",
        "|---|---|---|---|",
        f"| DynamoDB round trips per turn | {calls_cell(ours['turn'])} | {calls_cell(naive['turn'])} | "
        f"{fmt(ratio(ours['turn']['round_trips'], naive['turn']['round_trips']), 2)} |",
        f"| latency p50 / p95 / p99 (ms), 1 session | {latency_cell(ours['turn'])} | {latency_cell(naive['turn'])} | "
        f"{fmt(ratio(ours['turn']['p50_ms'], naive['turn']['p50_ms']), 2)} (p50) |",
    ]
    for sessions in ours["throughput"]:
        o, n = ours["throughput"][sessions], naive["throughput"][sessions]
        lines.append(
            f"| turns/s, {sessions} concurrent session{'s' if sessions != '1' else ''} | {fmt(o['turns_per_s'])} | "
            f"{fmt(n['turns_per_s'])} | {fmt(ratio(o['turns_per_s'], n['turns_per_s']), 2)} |"
        )
    for length in ours["history"]:
        o, n = ours["history"][length], naive["history"][length]
        lines.append(
            f"| history {int(length):,}: round trips · p50 ms | {fmt(o['round_trips'], 2)} · {fmt(o['p50_ms'], 2)} | "
            f"{fmt(n['round_trips'], 2)} · {fmt(n['p50_ms'], 2)} | {fmt(ratio(o['p50_ms'], n['p50_ms']), 2)} (p50) |"
        )
    oc, nc = ours["contention"], naive["contention"]
    lines += [
        f"| contention: {oc['threads']} threads × {oc['increments_each']} increments on ONE object "
        f"(expected {oc['expected']}) | **{oc['got']}** (lost {oc['lost_updates']}) | "
        f"**{nc['got']}** (lost {nc['lost_updates']}) | |",
        f"| tracemalloc peak over {report['config']['memory_turns']} turns (KB) | {fmt(ours['tracemalloc_peak_kb'])} | "
        f"{fmt(naive['tracemalloc_peak_kb'])} | {fmt(ratio(ours['tracemalloc_peak_kb'], naive['tracemalloc_peak_kb']), 2)} |",
        "",
        "## /chat: one turn through the API function (API Gateway proxy events, embedded stack)",
        "",
        "*as deployed*: stub calls are Lambda invokes of the object host (moto's Lambda, run in-process); "
        "*in-process*: the same objects called directly (`OBJECT_HOST_FUNCTION` empty); *naive*: the same "
        "API and agents over the naive store.",
        "",
        "| metric | ours, as deployed | ours, in-process | naive get/put | in-process/naive |",
        "|---|---|---|---|---|",
    ]
    cl, ci, cn = chat["ours_lambda"], chat["ours_inprocess"], chat["naive"]
    lines += [
        f"| first turn of a session: round trips | {calls_cell(cl['first_turn'])} | {calls_cell(ci['first_turn'])} | "
        f"{calls_cell(cn['first_turn'])} | |",
        f"| DynamoDB round trips per turn | {calls_cell(cl['turn'])} | {calls_cell(ci['turn'])} | "
        f"{calls_cell(cn['turn'])} | {fmt(ratio(ci['turn']['round_trips'], cn['turn']['round_trips']), 2)} |",
        f"| Lambda invokes per turn | {fmt(cl['turn']['lambda_invokes'], 2)} | {fmt(ci['turn']['lambda_invokes'], 2)} | "
        f"{fmt(cn['turn']['lambda_invokes'], 2)} | |",
        f"| latency p50 / p95 / p99 (ms), 1 session | {latency_cell(cl['turn'])} | {latency_cell(ci['turn'])} | "
        f"{latency_cell(cn['turn'])} | {fmt(ratio(ci['turn']['p50_ms'], cn['turn']['p50_ms']), 2)} (p50) |",
    ]
    for sessions in ci["throughput"]:
        a, b, c = cl["throughput"][sessions], ci["throughput"][sessions], cn["throughput"][sessions]
        lines.append(
            f"| turns/s, {sessions} concurrent session{'s' if sessions != '1' else ''} | {fmt(a['turns_per_s'])} | "
            f"{fmt(b['turns_per_s'])} | {fmt(c['turns_per_s'])} | {fmt(ratio(b['turns_per_s'], c['turns_per_s']), 2)} |"
        )
    for length in ci["history"]:
        o, n = ci["history"][length], cn["history"][length]
        naive_cell = f"fails: {n['error']}" if "error" in n else f"{fmt(n['round_trips'], 2)} · {fmt(n['p50_ms'], 2)}"
        lines.append(
            f"| history {int(length):,}: round trips · p50 ms | | {fmt(o['round_trips'], 2)} · {fmt(o['p50_ms'], 2)} | "
            f"{naive_cell} | {fmt(ratio(o['p50_ms'], n.get('p50_ms', float('nan'))), 2)} |"
        )
    oc, nc = ci["contention"], cn["contention"]
    lines += [
        f"| contention: {oc['clients']} clients × {oc['turns_each']} turns on ONE session: history entries "
        f"(expected {oc['expected_history_entries']}) | | **{oc['got']}** (lost {oc['lost_entries']}) | "
        f"**{nc['got']}** (lost {nc['lost_entries']}) | |",
        f"| tracemalloc peak over {report['config']['memory_turns']} turns (KB) | | {fmt(ci['tracemalloc_peak_kb'])} | "
        f"{fmt(cn['tracemalloc_peak_kb'])} | {fmt(ratio(ci['tracemalloc_peak_kb'], cn['tracemalloc_peak_kb']), 2)} |",
    ]
    http_result = chat.get("http", {})
    if http_result:
        lines += [
            "",
            f"Through the HTTP gateway on loopback (moto server, as deployed, {http_result.get('n', 0)} turns): "
            + (f"p50 / p95 / p99 = {latency_cell(http_result)} ms." if "error" not in http_result
               else f"failed: {http_result['error']}"),
        ]
    lines += [
        "",
        "## Cold start: each function's handler module in a fresh interpreter",
        "",
        f"Median of {report['config']['cold_start_runs']} run(s). *import*: loading the handler module (and "
        "everything it imports); *init*: `default_env()` and its DynamoDB client; *process*: the whole "
        "subprocess, interpreter start-up included; *peak RSS*: the subprocess's own high-water mark (VmHWM).",
        "",
        "| function | import (ms) | init (ms) | process (ms) | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for name in FUNCTIONS:
        result = cold[name]
        if "error" in result:
            lines.append(f"| {name} | failed: {result['error']} | | | |")
            continue
        lines.append(
            f"| {name} | {fmt(result['import_ms'])} | {fmt(result['init_ms'])} | {fmt(result['process_ms'])} | "
            f"{fmt(result['maxrss_mb'])} |"
        )
    if cold.get("api_import_ms_by_package"):
        heaviest = ", ".join(f"{name} {ms:.0f} ms" for name, ms in cold["api_import_ms_by_package"].items())
        lines += ["", f"Where the API function's import time goes (`-X importtime`, self time by package): {heaviest}."]
    lines += [
        "",
        f"Peak RSS of this benchmark process: {fmt(meta['maxrss_mb'])} MB.",
        f"/chat answers whose sessionId did not match the request: {chat.get('mismatched_sessions', 0)}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (for tests); timings mean little")
    parser.add_argument("--out", default=str(ROOT / ".bench"), help="directory for report.md and report.json")
    parser.add_argument("--no-http", action="store_true", help="skip the run through the HTTP gateway")
    parser.add_argument("--http-only", type=int, metavar="TURNS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.http_only is not None:
        print(json.dumps(bench_http(args.http_only)))
        return 0

    import logging

    logging.basicConfig(level=logging.ERROR)
    config = Config.quick_run() if args.quick else Config.full()
    started = time.perf_counter()
    sections: dict[str, float] = {}

    def timed(name: str, run: Callable[[], Any]) -> Any:
        section_started = time.perf_counter()
        try:
            return run()
        finally:
            sections[name] = round(time.perf_counter() - section_started, 1)

    runtime = timed("runtime", lambda: bench_runtime(config))
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools prints each invocation's metrics (EMF)
        chat = timed("chat", lambda: bench_chat(config))
    if not args.no_http:
        chat["http"] = timed("http", lambda: run_http_subprocess(config.http_turns))
    cold = timed("cold_start", lambda: bench_cold_start(config))
    report = {
        "meta": {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "quick": config.quick,
            "seconds": round(time.perf_counter() - started, 1),
            "section_seconds": sections,
            "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "config": {k: v for k, v in asdict(config).items()},
        "runtime": runtime,
        "chat": chat,
        "cold_start": cold,
    }
    ours, naive = runtime["ours"], runtime["naive"]
    report["ratios"] = {
        "runtime_p50_latency": ratio(ours["turn"]["p50_ms"], naive["turn"]["p50_ms"]),
        **{f"runtime_throughput_{s}": ratio(ours["throughput"][s]["turns_per_s"], naive["throughput"][s]["turns_per_s"])
           for s in ours["throughput"]},
        "chat_p50_latency": ratio(chat["ours_inprocess"]["turn"]["p50_ms"], chat["naive"]["turn"]["p50_ms"]),
        **{f"chat_throughput_{s}": ratio(chat["ours_inprocess"]["throughput"][s]["turns_per_s"],
                                         chat["naive"]["throughput"][s]["turns_per_s"])
           for s in chat["ours_inprocess"]["throughput"]},
    }
    markdown = build_markdown(report)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / "report.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
