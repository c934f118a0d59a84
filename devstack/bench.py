"""``python -m devstack.bench`` (``make bench``): what a turn costs, paired with a naive baseline.

Writes ``.bench/report.md`` and ``.bench/report.json`` (``--out`` to move them) and prints the Markdown;
``--publish`` (``make bench-publish``, a full run) also writes the committed ``benchmarks/report.md`` and
``benchmarks/report.json`` and regenerates the README's benchmark table from them
(:mod:`devstack.bench_report`). Dev-only: ``devstack/`` is not part of the deployed layer.

Every figure is measured twice in the same process, on the same moto-backed DynamoDB:

*ours*
    the durable-object runtime: a turn takes the object's lease with one conditional ``UpdateItem`` on
    its small STATE item, and commits + releases with one conditional write fenced on the lease.
*naive*
    a naive unlocked state store: ``GetItem`` the object's whole state, modify it, ``PutItem`` it back;
    no lock, no condition. Cheap, and under contention it loses updates (counted here).

What costs are priced by the capacity meter (:mod:`devstack.capacity`): WCU and RCU by DynamoDB's
billing rules, requests, and *sequential steps* (requests in flight together count as one step, with a
simulated round trip each). Sections:

1. **Runtime**: a counter turn (read a tally, add one, append a history entry): round trips, latency
   p50/p95/p99, turns per second at 1, 8 and 32 sessions, the meter's figures per turn, the same turn at
   history 10 / 1,000 / 10,000 / 20,000 (the naive item passes DynamoDB's 400 KB before the last), lost
   updates with 8 threads on ONE object (with a simulated round trip, as against DynamoDB), and issue 8's
   capacity targets: a counter turn on an object with 10,000 history entries, 1,000 keys and an
   untouched 100 KB value, a waiter's failed acquire on it, a keyed retry 200 calls and 23 hours later.
2. **/chat**: the template's stack on ``mock_aws``, the API function invoked in-process with API Gateway
   proxy events: as deployed (stub calls through Lambda invokes of the object host), with in-process
   stub calls, and the naive store under the very same agents; the meter's figures per turn; one
   conversation of 100 turns (the same message at turns 3 and 100, so they compare); history 10 vs
   10,000; lost history entries with clients racing on ONE session; a run through the HTTP gateway.
3. **Cold start**: each function's handler imported and initialised in a fresh interpreter: CPU time
   as a ratio to ``import boto3`` + one client (paired runs), wall-clock times and peak RSS.
4. **Memory**: tracemalloc peaks of turns (ours and naive).

``--quick`` runs few iterations (for the test suite, under a minute): timings from it mean little, but
counts, WCU and the history length at which the naive store breaks are the full run's.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
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
    "alarm_sweeper": ROOT / "functions" / "alarms" / "app.py",
}
REGION = "us-east-1"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
ROUND_TRIP_S = 0.005
"""The simulated network round trip of the contention runs and the step counts (moto answers in-process)."""
BIG_OBJECT = {"history": 10_000, "keys": 1_000, "value_bytes": 100_000}
"""Issue 8's big object: a counter turn on it, and a waiter's failed acquire."""
KEYED_RETRY = {"calls_between": 200, "hours_later": 23}


@dataclass(frozen=True)
class Config:
    quick: bool
    latency_turns: int
    throughput_turns: dict[int, int]  # sessions -> turns per session
    meter_turns: int
    """Turns priced by the meter per figure (each on its own, with a simulated round trip)."""
    contention_threads: int
    contention_increments: int
    histories: tuple[int, ...]
    history_turns: int
    chat_latency_turns: int
    chat_throughput_turns: dict[int, int]
    chat_histories: tuple[int, ...]
    chat_history_turns: int
    chat_contention_threads: int
    chat_contention_turns: int
    conversation_turns: int
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
            meter_turns=25,
            contention_threads=8,
            contention_increments=50,
            histories=(10, 1_000, 10_000, 20_000),
            history_turns=50,
            chat_latency_turns=60,
            chat_throughput_turns={1: 40, 8: 8, 32: 3},
            chat_histories=(10, 10_000),
            chat_history_turns=20,
            chat_contention_threads=8,
            chat_contention_turns=5,
            conversation_turns=100,
            cold_start_runs=7,
            http_turns=30,
            memory_turns=40,
        )

    @classmethod
    def quick_run(cls) -> Config:
        return cls(
            quick=True,
            latency_turns=8,
            throughput_turns={1: 4, 8: 1, 32: 1},
            meter_turns=6,
            contention_threads=8,
            contention_increments=8,
            histories=(10, 1_000, 10_000, 20_000),
            history_turns=2,
            chat_latency_turns=3,
            chat_throughput_turns={1: 2, 8: 1, 32: 1},
            chat_histories=(10, 10_000),
            chat_history_turns=1,
            chat_contention_threads=3,
            chat_contention_turns=2,
            conversation_turns=100,
            cold_start_runs=1,
            http_turns=2,
            memory_turns=2,
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


def priced_turn(meter: Any, client: Any, call: Callable[[], Any]) -> dict[str, float]:
    """One call priced by the meter: WCU, RCU, DynamoDB requests and sequential steps."""
    from devstack.capacity import CapacityMeter

    with meter.measure() as totals, CapacityMeter.client_steps(client, latency_s=ROUND_TRIP_S) as steps:
        call()
    return {"wcu": totals.wcu, "rcu": totals.rcu, "requests": totals.count, "steps": steps.steps}


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "max": max(values), "min": min(values)}


def meter_turns(meter: Any, client: Any, turn: Callable[[int], Any], turns: int) -> dict[str, Any]:
    """``turns`` turns, each priced on its own: median, max and min of each figure, and each turn's."""
    samples = [priced_turn(meter, client, functools.partial(turn, i)) for i in range(turns)]
    out: dict[str, Any] = {"n": turns}
    for figure in ("wcu", "rcu", "requests", "steps"):
        out[figure] = spread([sample[figure] for sample in samples])
    out["per_turn"] = samples
    return out


@contextlib.contextmanager
def simulated_round_trip(client: Any, seconds: float = ROUND_TRIP_S) -> Iterator[None]:
    """Every request of ``client`` takes ``seconds`` longer (in-process moto answers in microseconds, so
    a read-modify-write would otherwise hardly ever overlap another, as it does against DynamoDB)."""
    unique = f"bench-round-trip-{id(client)}"

    def wire(**_: Any) -> None:
        time.sleep(seconds)

    client.meta.events.register_first("before-send.dynamodb.*", wire, unique_id=unique)
    try:
        yield
    finally:
        client.meta.events.unregister("before-send.dynamodb.*", unique_id=unique)


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


@contextlib.contextmanager
def clock_ahead() -> Iterator[list[float]]:
    """The runtime's clock (``durable_agents.runtime.clock.source``), ``offset[0]`` seconds ahead."""
    from durable_agents.runtime import clock

    offset = [0.0]
    real = clock.source
    clock.source = lambda: real() + offset[0]
    try:
        yield offset
    finally:
        clock.source = real


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
        return int(tally["count"])

    @rpc
    def append(self, entries: list[Any]) -> int:
        for entry in entries:
            self.storage.history.append(entry)
        return len(self.storage.history)

    @rpc
    def seed_keys(self, start: int, count: int) -> None:
        self.storage.put({f"key-{i:06d}": {"i": i, "pad": "p" * 24} for i in range(start, start + count)})

    @rpc
    def seed_value(self, size: int) -> None:
        self.storage.put("untouched", "u" * size)

    @rpc
    def hold(self) -> str:
        """Write nothing while :attr:`holding` / :attr:`release` say (a holder for the waiter figure)."""
        if BenchCounter.holding is not None and BenchCounter.release is not None:
            BenchCounter.holding.set()
            BenchCounter.release.wait(30)
        return "held"

    @rpc(read_only=True)
    def count(self) -> int:
        return int((self.storage.get("tally") or {}).get("count", 0))

    @rpc(read_only=True)
    def recent(self, n: int) -> list[Any]:
        return self.storage.history.recent(n)

    holding: threading.Event | None = None
    release: threading.Event | None = None


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
        item = self.client.get_item(TableName=self.table, Key=self._key(name), ConsistentRead=True).get(
            "Item"
        )
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
    no fencing, no idempotency, no joined commits. The agents' code is the same as ours."""
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

        def call(
            self,
            method: str,
            *args: Any,
            idempotency_key: str | None = None,
            fingerprint: str | None = None,
            join: bool = False,
            claim: Any = None,  # no idempotency here: nothing to claim
            **kwargs: Any,
        ) -> Any:
            args_plain = codec.decode(codec.encode(list(args)))
            kwargs_plain = codec.decode(codec.encode(kwargs))
            key = {"pk": {"S": f"NAIVE#{self.id.key}"}, "sk": {"S": "STATE"}}
            item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            blob = json.loads(item["blob"]["S"]) if item else {"kv": {}, "history": []}
            history = blob["history"]
            snapshot = StateSnapshot(
                exists=item is not None, hot=dict(blob["kv"]), tail=list(history), seq=len(history)
            )
            storage = Storage(None, key["pk"]["S"], snapshot)  # type: ignore[arg-type]  # all inline: no reads
            cls = self.env.namespace(self.id.namespace).object_class
            ctx = ObjectContext(id=self.id, storage=storage)
            result = codec.encode(getattr(cls(ctx, self.env), method)(*args_plain, **kwargs_plain))
            if storage.dirty:
                kv = {} if storage._wiped else dict(blob["kv"])
                for name, value in storage._writes.items():
                    if value is DELETED:
                        kv.pop(name, None)
                    else:
                        kv[name] = value
                kept = [] if storage._wiped else history
                blob = {"kv": kv, "history": kept + list(storage.history._pending)}
                dynamodb.put_item(
                    TableName=table, Item={**key, "blob": {"S": json.dumps(blob, separators=(",", ":"))}}
                )
            return codec.decode(result)

        def __getattr__(self, method: str) -> Any:
            if method.startswith("_"):
                raise AttributeError(method)
            return lambda *args, **kwargs: self.call(method, *args, **kwargs)

    class NaiveNamespace(Namespace):
        def get(self, object_id: ObjectId) -> Any:
            return NaiveStub(self.env, object_id)

    class NaiveEnv(Env):
        def __init__(self) -> None:
            super().__init__(settings, declared, dynamodb=dynamodb)
            self._bindings = {name: NaiveNamespace(self, name, path) for name, path in declared.items()}

    return NaiveEnv()


def put_error(client: Any, put: Callable[[], Any], size: int) -> str | None:
    """``put()``; the error DynamoDB answered if it refused the item (e.g. over 400 KB), else ``None``."""
    try:
        put()
    except client.exceptions.ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error']['Message']} ({size // 1024} KB)"
    return None


def naive_seed(dynamodb: Any, table: str, object_key: str, entries: list[Any]) -> str | None:
    """Append ``entries`` to a naive object's history; the error if the item cannot hold them."""
    key = {"pk": {"S": f"NAIVE#{object_key}"}, "sk": {"S": "STATE"}}
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    blob = json.loads(item["blob"]["S"]) if item else {"kv": {}, "history": []}
    blob["history"] += [json.dumps(entry, separators=(",", ":")) for entry in entries]
    text = json.dumps(blob, separators=(",", ":"))
    return put_error(
        dynamodb, lambda: dynamodb.put_item(TableName=table, Item={**key, "blob": {"S": text}}), len(text)
    )


def create_table(client: Any, name: str) -> None:
    from devstack.template import SamTemplate

    (spec,) = SamTemplate.load().tables.values()
    client.create_table(**spec.create_table_kwargs(name))


# --- 1. the runtime ----------------------------------------------------------------------------------------

SEED_BATCH = 500
"""History entries (or 90 keys) appended per seeding turn: 5 pages, well within one transaction."""


def numbered_turns(turn: Callable[[str, str], int], name: str, prefix: str) -> Callable[[int], int]:
    """Turn ``i`` of a series on object ``name``: ``turn(name, f"{prefix}{i}")``."""
    return lambda i: turn(name, f"{prefix}{i}")


def session_turns(turn: Callable[[str, str], int], prefix: str) -> Callable[[int, int], int]:
    """Turn ``i`` of session ``s``, on its own object: ``turn(f"{prefix}{s}", f"w{i}")``."""
    return lambda s, i: turn(f"{prefix}{s}", f"w{i}")


def bench_runtime(config: Config) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from devstack.capacity import CapacityMeter
    from devstack.local_patches import patch_local_stack
    from durable_agents.config import Settings
    from durable_agents.runtime import Env, ObjectBusy
    from durable_agents.runtime.aws import client_config

    patch_local_stack()
    meter = CapacityMeter.install()
    with environment(FAKE_AWS), mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, config=client_config())
        create_table(client, "bench-state")
        create_table(client, "bench-naive")
        counter = CallCounter(client)
        settings = Settings(state_table="bench-state", busy_wait_seconds=120, lease_seconds=30)
        env = Env(settings, {"BENCH_COUNTER": "devstack.bench:BenchCounter"}, dynamodb=client)
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
            out[variant] = {
                "turn": measure_turns(
                    numbered_turns(turn, f"{variant}-latency", "w"), config.latency_turns, counter
                )
            }
            out[variant]["meter"] = meter_turns(
                meter, client, numbered_turns(turn, f"{variant}-latency", "m"), config.meter_turns
            )
            out[variant]["throughput"] = {
                str(sessions): measure_throughput(
                    session_turns(turn, f"{variant}-tp{sessions}-"), sessions, turns
                )
                for sessions, turns in config.throughput_turns.items()
            }

        # the same turn at several history lengths (the naive item passes 400 KB at the longest)
        for variant in variants:
            out[variant]["history"] = {}
        for length in config.histories:
            name = f"history-{length}"
            entries = [{"by": 0, "who": f"seed{i}"} for i in range(length)]
            stub = env.BENCH_COUNTER.get_by_name(name)
            for start in range(0, length, SEED_BATCH):
                stub.append(entries[start : start + SEED_BATCH])
            state = {"count": 0, "last_by": "", "history": entries}
            text = json.dumps(state, separators=(",", ":"))
            refused = put_error(client, functools.partial(naive.save, name, state), len(text))
            for variant, turn in variants.items():
                if variant == "naive" and refused:
                    out[variant]["history"][str(length)] = {"error": refused, "item_bytes": len(text)}
                    continue
                turn(name, "warm")
                result = measure_turns(numbered_turns(turn, name, "h"), config.history_turns, counter)
                result["meter"] = meter_turns(
                    meter, client, numbered_turns(turn, name, "hm"), config.meter_turns
                )
                out[variant]["history"][str(length)] = result

        # contention: N threads x M increments on ONE object, every request a simulated round trip long
        threads, per_thread = config.contention_threads, config.contention_increments
        expected = threads * per_thread
        for variant, turn in variants.items():
            with simulated_round_trip(client), ThreadPoolExecutor(threads) as pool:
                list(
                    pool.map(
                        lambda t, tn=turn, v=variant: [tn(f"{v}-hot", f"t{t}") for _ in range(per_thread)],
                        range(threads),
                    )
                )
            got = (
                env.BENCH_COUNTER.get_by_name("ours-hot").count()
                if variant == "ours"
                else naive.load("naive-hot")["count"]
            )
            out[variant]["contention"] = {
                "threads": threads,
                "increments_each": per_thread,
                "expected": expected,
                "got": got,
                "lost_updates": expected - got,
                "round_trip_ms": ROUND_TRIP_S * 1000,
            }

        # memory: tracemalloc peak over a few turns of each
        for variant, turn in variants.items():
            tracemalloc.start()
            for i in range(config.memory_turns):
                turn(f"{variant}-memory", f"m{i}")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out[variant]["tracemalloc_peak_kb"] = round(peak / 1024, 1)

        out["capacity"] = bench_capacity(config, env, client, meter)
    return out


def bench_capacity(config: Config, env: Any, client: Any, meter: Any) -> dict[str, Any]:
    """Issue 8's runtime targets, priced by the meter: a counter turn and a waiter's failed acquire on
    the big object, and a keyed retry 200 calls and 23 hours later."""
    from durable_agents.runtime import Env, ObjectBusy

    stub = env.BENCH_COUNTER.get_by_name("big-object")
    for start in range(0, BIG_OBJECT["keys"], 90):
        stub.seed_keys(start, min(90, BIG_OBJECT["keys"] - start))
    stub.seed_value(BIG_OBJECT["value_bytes"])
    for start in range(0, BIG_OBJECT["history"], SEED_BATCH):
        stub.append([{"seed": i} for i in range(start, min(start + SEED_BATCH, BIG_OBJECT["history"]))])
    stub.increment(who="first")  # the tally's first write
    out: dict[str, Any] = {"big_object": {**BIG_OBJECT}}
    out["big_object"]["counter_turn"] = meter_turns(
        meter, client, lambda i: stub.increment(who=f"c{i}"), max(config.meter_turns, 20)
    )

    # a waiter on that object while a turn holds it: its failed acquires (writes) and polls (reads)
    waiter_env = Env(
        env.settings.model_copy(update={"busy_wait_seconds": 0.3}),
        {"BENCH_COUNTER": "devstack.bench:BenchCounter"},
        dynamodb=client,
    )
    bound = env.namespace("BENCH_COUNTER").object_class  # devstack.bench's class (this may run as __main__)
    holding, release = bound.holding, bound.release = threading.Event(), threading.Event()
    try:
        holder = threading.Thread(target=stub.hold)
        holder.start()
        if not holding.wait(30):
            raise RuntimeError("the holder never took the lease")
        with meter.measure() as waiting:
            try:
                waiter_env.BENCH_COUNTER.get_by_name("big-object").increment(who="waiter")
                busy = False
            except ObjectBusy:
                busy = True
        release.set()
        holder.join(30)
    finally:
        bound.holding = bound.release = None
    failed = [r for r in waiting.requests if r.operation == "UpdateItem" and r.failed]
    polls = [r for r in waiting.requests if r.operation == "GetItem"]
    out["big_object"]["failed_acquire"] = {
        "answered_busy": busy,
        "failed_acquires": len(failed),
        "wcu_each_max": max((r.wcu for r in failed), default=None),
        "polls": len(polls),
        "rcu_each_max": max((r.rcu for r in polls), default=None),
    }

    # a keyed call, 200 other calls, the clock 23 hours on, the same call again
    keyed = env.BENCH_COUNTER.get_by_name("keyed-retry")
    first = keyed.call("increment", who="once", idempotency_key="bench-retry")
    for i in range(KEYED_RETRY["calls_between"]):
        keyed.call("increment", who=f"other-{i}", idempotency_key=f"bench-other-{i}")
    with clock_ahead() as offset:
        offset[0] = KEYED_RETRY["hours_later"] * 3600
        retried: dict[str, Any] = {}
        priced = priced_turn(
            meter,
            client,
            lambda: retried.setdefault(
                "answer", keyed.call("increment", who="once", idempotency_key="bench-retry")
            ),
        )
        count = keyed.count()
        applied = sum(
            1 for entry in keyed.recent(KEYED_RETRY["calls_between"] + 10) if entry.get("who") == "once"
        )
    out["keyed_retry"] = {
        **KEYED_RETRY,
        "first_answer": first,
        "retry_answer": retried["answer"],
        "count_after": count,
        "expected_count": 1 + KEYED_RETRY["calls_between"],
        "times_applied": applied,
        "retry": priced,
    }
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
PROBE = "make it 3 adults"
"""The message of turns :data:`PROBE_TURNS` of the priced conversation: the same change at both (the turn
before each sets 2 adults), so turn 100 is compared with turn 3 like for like."""
PROBE_TURNS = (3, 100)
CONVERSATION_FILLERS = [
    "What's the weather like there next week?",
    "Hotels in Paris for 3 nights",
    "Things to do in Paris?",
    "I love museums and food",
    "budget 4000 USD",
    "What do you know about my trip so far?",
    "make it 6 days",
    "Flights from Boston to Paris",
]


def chat_text(session_index: int, turn: int) -> str:
    return CHAT_MESSAGES[turn % len(CHAT_MESSAGES)].format(city=CITIES[session_index % len(CITIES)])


def conversation_text(turn: int) -> str:
    """Turn ``turn`` (from 1) of the priced conversation: a trip to Paris for 2 adults, :data:`PROBE` at
    :data:`PROBE_TURNS`, 2 adults again just before each, and the fillers in between."""
    if turn in PROBE_TURNS:
        return PROBE
    if turn == 1:
        return "Plan a trip to Paris"
    if turn == 2 or turn + 1 in PROBE_TURNS:
        return "from Boston, 5 days in May, 2 adults, budget 3000 USD"
    return CONVERSATION_FILLERS[turn % len(CONVERSATION_FILLERS)]


def history_entries(count: int, prefix: str) -> list[dict[str, Any]]:
    stamp = datetime.now(UTC).isoformat()
    return [
        {
            "role": "user" if i % 2 == 0 else "agent",
            "messageId": f"{prefix}-{i // 2}",
            "content": f"seeded message {i} about a trip to somewhere nice",
            "type": "chat",
            "timestamp": stamp,
        }
        for i in range(count)
    ]


def bench_chat(config: Config) -> dict[str, Any]:
    from devstack.capacity import CapacityMeter
    from devstack.gateway import GatewayRequest, build_proxy_event
    from devstack.local_patches import patch_local_stack
    from devstack.moto_stack import start_local_stack
    from durable_agents.agents.models import AgentContext, AgentMessage
    from durable_agents.config import Settings, bindings
    from durable_agents.runtime import Env, ObjectBusy, aws, default_env
    from durable_agents.runtime.ids import id_from_name

    patch_local_stack()
    meter = CapacityMeter.install()
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

            def chat(session: str, user: str, text: str, key: str | None) -> dict[str, Any]:
                nonlocal mismatched
                body = json.dumps({"message": text, "sessionId": session, "userId": user}).encode()
                keyed = [("Idempotency-Key", key)] if key is not None else []
                request = GatewayRequest(
                    "POST",
                    "/chat",
                    "",
                    [("Content-Type", "application/json"), *keyed],
                    body,
                    "127.0.0.1",
                )
                event = build_proxy_event(request, route, {}, stage=stage, account_id=stack.values.account_id)
                for _ in range(50):
                    response = api.invoke(event)
                    if response["statusCode"] == 503:  # busy: honour Retry-After (scaled down)
                        time.sleep(0.05)
                        continue
                    break
                if response["statusCode"] != 200:
                    raise RuntimeError(f"/chat answered {response['statusCode']}: {response['body'][:200]}")
                answer: dict[str, Any] = json.loads(response["body"])
                if answer.get("sessionId") != session:
                    mismatched += 1
                return answer

            def use_variant(variant: str) -> Any:
                """Make the API function's env() the variant's; returns the Env."""
                api_module.env = _original_env
                os.environ["OBJECT_HOST_FUNCTION"] = (
                    stack.environ["OBJECT_HOST_FUNCTION"] if variant == "ours_lambda" else ""
                )
                from durable_agents.runtime import reset_default_env

                reset_default_env()
                if variant == "ours_lambda":
                    # the objects behind the object host, as /chat ran before it ran its turn in the Api
                    # function (one function per turn, issue 18): the Lambda path stays measured
                    api_module.env = default_env
                if variant != "naive":
                    return default_env()
                env = naive_env(Settings.from_environ(os.environ), bindings(), dynamodb, naive_table)
                api_module.env = lambda: env
                return env

            _original_env = api_module.env
            variants = ("ours_lambda", "ours_inprocess", "naive")
            try:
                for variant in variants:
                    use_variant(variant)
                    result: dict[str, Any] = {}
                    user = f"{variant}-user"
                    session = f"{variant}-latency"

                    def first_turn(i: int, s: str = session, u: str = user) -> dict[str, Any]:
                        return chat(s, u, chat_text(0, 0), f"{s}-first")

                    def latency_turn(i: int, s: str = session, u: str = user) -> dict[str, Any]:
                        return chat(s, u, chat_text(0, i + 1), f"{s}-{i}")

                    def metered_turn(i: int, s: str = session, u: str = user) -> dict[str, Any]:
                        return chat(s, u, chat_text(0, i + 1), f"{s}-m{i}")

                    first = measure_turns(first_turn, 1, counter)
                    result["first_turn"] = first
                    before_invokes = invokes.snapshot()
                    result["turn"] = measure_turns(latency_turn, config.chat_latency_turns, counter)
                    result["turn"]["lambda_invokes"] = round(
                        sum((invokes.snapshot() - before_invokes).values()) / config.chat_latency_turns, 3
                    )
                    result["meter"] = meter_turns(meter, dynamodb, metered_turn, config.meter_turns)

                    def unkeyed_turn(i: int, s: str = session, u: str = user) -> dict[str, Any]:
                        return chat(s, u, chat_text(0, i + 1), None)

                    result["meter_unkeyed"] = meter_turns(meter, dynamodb, unkeyed_turn, config.meter_turns)
                    result["throughput"] = {}
                    for sessions, turns in config.chat_throughput_turns.items():
                        names = [f"{variant}-tp{sessions}-{s}" for s in range(sessions)]
                        for s, name in enumerate(names if config.open_sessions else []):
                            chat(
                                name, f"{name}-u", chat_text(s, 0), f"{name}-open"
                            )  # steady-state turns only

                        def throughput_turn(s: int, i: int, ns: list[str] = names) -> dict[str, Any]:
                            return chat(ns[s], f"{ns[s]}-u", chat_text(s, i + 1), f"{ns[s]}-{i}")

                        result["throughput"][str(sessions)] = measure_throughput(
                            throughput_turn, sessions, turns
                        )
                    out[variant] = result

                # the same turn at two history lengths (conversation and travel agent both that long)
                seeder_env = Env(
                    Settings.from_environ(os.environ),
                    {
                        "CONVERSATION_MANAGER": "devstack.bench:HistorySeeder",
                        "TRAVEL_AGENT": "devstack.bench:HistorySeeder",
                    },
                    dynamodb=dynamodb,
                )
                for variant in ("ours_inprocess", "naive"):
                    env = use_variant(variant)
                    out[variant]["history"] = {}
                    for length in config.chat_histories:
                        session, user = f"{variant}-h{length}", f"{variant}-h-user"
                        chat(session, user, chat_text(1, 0), f"{session}-open")
                        seed_error = None
                        for namespace, prefix in (
                            ("CONVERSATION_MANAGER", "conversation"),
                            ("TRAVEL_AGENT", "travel"),
                        ):
                            entries = history_entries(length - 2, f"seed-{prefix}")
                            if variant == "naive":
                                key = id_from_name(namespace, f"{prefix}:{session}").key
                                seed_error = seed_error or naive_seed(dynamodb, naive_table, key, entries)
                            else:
                                stub = seeder_env.namespace(namespace).get_by_name(f"{prefix}:{session}")
                                for start in range(0, len(entries), SEED_BATCH):
                                    stub.seed(entries[start : start + SEED_BATCH])
                        if seed_error:
                            out[variant]["history"][str(length)] = {"error": seed_error}
                            continue

                        def history_turn(i: int, s: str = session, u: str = user) -> dict[str, Any]:
                            return chat(s, u, chat_text(1, i + 1), f"{s}-{i}")

                        out[variant]["history"][str(length)] = measure_turns(
                            history_turn, config.chat_history_turns, counter
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
                            message = AgentMessage(
                                id=key,
                                type="chat",
                                content=chat_text(t, i),
                                context=AgentContext(session_id=session, user_id=user),
                            )
                            for _ in range(200):
                                try:
                                    stub.call("route_message", message, idempotency_key=key)
                                    break
                                except ObjectBusy:
                                    time.sleep(0.02)

                    stub.call(
                        "route_message",
                        AgentMessage(
                            id=f"{session}-open",
                            type="chat",
                            content="Hello",
                            context=AgentContext(session_id=session, user_id=user),
                        ),
                        idempotency_key=f"{session}-open",
                    )
                    with simulated_round_trip(dynamodb), ThreadPoolExecutor(threads) as pool:
                        list(pool.map(client, range(threads)))
                    expected = 2 * (threads * turns + 1)
                    got = _history_length(
                        variant, dynamodb, naive_table, stack.physical_id("StateTable"), session
                    )
                    out[variant]["contention"] = {
                        "clients": threads,
                        "turns_each": turns,
                        "expected_history_entries": expected,
                        "got": got,
                        "lost_entries": expected - got,
                    }

                # one conversation of many turns, each priced (the same message at turns 3 and 100)
                for variant in ("ours_inprocess", "naive"):
                    use_variant(variant)
                    session, user = f"{variant}-conversation", f"{variant}-conversation-user"

                    def conversation_turn(t: int, s: str = session, u: str = user) -> dict[str, Any]:
                        return chat(s, u, conversation_text(t), f"{s}-{t}")

                    per_turn = [
                        priced_turn(meter, dynamodb, functools.partial(conversation_turn, t))
                        for t in range(1, config.conversation_turns + 1)
                    ]
                    out[variant]["conversation"] = {
                        "turns": config.conversation_turns,
                        "probe": PROBE,
                        "probe_turns": list(PROBE_TURNS),
                        "per_turn": per_turn,
                        "after_first": {
                            figure: spread([t[figure] for t in per_turn[1:]])
                            for figure in ("wcu", "rcu", "requests", "steps")
                        },
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
                api_module.env = _original_env
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
        item = dynamodb.get_item(
            TableName=naive_table,
            Key={"pk": {"S": f"NAIVE#{key}"}, "sk": {"S": "STATE"}},
            ConsistentRead=True,
        )["Item"]
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
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(SHARED)])},
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1:] or ["failed"]}
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


# --- 3. cold start ------------------------------------------------------------------------------------------

_COLD_START = r"""
import importlib.util, json, resource, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
path, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [layer, path.rsplit("/", 1)[0]]
spec = importlib.util.spec_from_file_location("handler_module", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported, cpu_imported = time.perf_counter(), time.process_time()
from durable_agents.runtime import default_env
env = default_env()
env.table  # the DynamoDB client every function creates before its first request
initialised, cpu_initialised = time.perf_counter(), time.process_time()
peak_kb = None
try:  # VmHWM: this process's own peak (ru_maxrss also counts the parent's pages from before exec)
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration, ValueError):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "init_ms": (initialised - imported) * 1000,
    "cpu_import_ms": (cpu_imported - cpu_started) * 1000,
    "cpu_ms": (cpu_initialised - cpu_started) * 1000,
    "maxrss_mb": peak_kb / 1024,
}))
"""

_BASELINE = r"""
import json, time
cpu_started = time.process_time()
import boto3
boto3.session.Session().client("dynamodb")
print(json.dumps({"cpu_ms": (time.process_time() - cpu_started) * 1000}))
"""
"""What every Python Lambda function that talks to DynamoDB pays at least: boto3 and one client."""


def bench_cold_start(config: Config) -> dict[str, Any]:
    """Each function's handler imported and initialised in fresh interpreters, each run paired with a run
    of :data:`_BASELINE` right beside it (in alternating order): the CPU ratio of the two is what carries
    over from this shared, noisy machine; wall-clock times and RSS are reported beside it."""
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

    def run(code: str, *args: str) -> dict[str, float]:
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr.strip().splitlines()[-1:])
        return {
            **json.loads(completed.stdout.strip().splitlines()[-1]),
            "process_ms": (time.perf_counter() - started) * 1000,
        }

    out: dict[str, Any] = {}
    for name, path in FUNCTIONS.items():
        runs, baselines = [], []
        try:
            for index in range(config.cold_start_runs):
                if index % 2:
                    baselines.append(run(_BASELINE))
                runs.append(run(_COLD_START, str(path), str(SHARED)))
                if not index % 2:
                    baselines.append(run(_BASELINE))
        except RuntimeError as error:
            out[name] = {"error": error.args[0]}
            continue
        out[name] = {
            key: round(statistics.median(run[key] for run in runs), 1)
            for key in ("import_ms", "init_ms", "process_ms", "maxrss_mb", "cpu_import_ms", "cpu_ms")
        } | {
            "runs": len(runs),
            "baseline_cpu_ms": round(statistics.median(b["cpu_ms"] for b in baselines), 1),
            "import_ratio": round(
                statistics.median(
                    r["cpu_import_ms"] / b["cpu_ms"] for r, b in zip(runs, baselines, strict=True)
                ),
                2,
            ),
            "cpu_ratio": round(
                statistics.median(r["cpu_ms"] / b["cpu_ms"] for r, b in zip(runs, baselines, strict=True)), 2
            ),
        }
    # the heaviest imports of the API function (-X importtime, one run)
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _COLD_START, str(FUNCTIONS["api"]), str(SHARED)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    by_package: Counter[str] = Counter()
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [part.strip() for part in line[len("import time:") :].split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        by_package[parts[2].split(".")[0]] += int(parts[0])  # self time, so nothing is counted twice
    out["api_import_ms_by_package"] = {name: round(us / 1000, 1) for name, us in by_package.most_common(8)}
    return out


# --- the run ----------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    from importlib.metadata import version

    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    return {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "moto": version("moto"),
        "boto3": version("boto3"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run_all(config: Config, *, http: bool = True) -> dict[str, Any]:
    """Every section; the report as a dict (see :mod:`devstack.bench_report` for its Markdown)."""
    import logging

    from devstack.bench_report import ratios, targets

    logging.basicConfig(level=logging.ERROR)
    started = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    sections: dict[str, float] = {}

    def timed(name: str, section: Callable[[], Any]) -> Any:
        section_started = time.perf_counter()
        try:
            return section()
        finally:
            sections[name] = round(time.perf_counter() - section_started, 1)

    runtime = timed("runtime", lambda: bench_runtime(config))
    with contextlib.redirect_stdout(io.StringIO()):  # Powertools prints each invocation's metrics (EMF)
        chat = timed("chat", lambda: bench_chat(config))
    if http:
        chat["http"] = timed("http", lambda: run_http_subprocess(config.http_turns))
    cold = timed("cold_start", lambda: bench_cold_start(config))
    report: dict[str, Any] = {
        "meta": {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            **machine(),
            "load_average_before": load_before,
            "quick": config.quick,
            "seconds": round(time.perf_counter() - started, 1),
            "section_seconds": sections,
            "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "config": asdict(config),
        "runtime": runtime,
        "chat": chat,
        "cold_start": cold,
    }
    report["ratios"] = ratios(report)
    report["targets"] = targets(report)
    return report


def main(argv: list[str] | None = None) -> int:
    from devstack import bench_report

    parser = argparse.ArgumentParser(prog="python -m devstack.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="few iterations (for tests); timings mean little"
    )
    parser.add_argument("--out", default=str(ROOT / ".bench"), help="directory for report.md and report.json")
    parser.add_argument("--no-http", action="store_true", help="skip the run through the HTTP gateway")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="also write benchmarks/report.* and the README's table (a full run only)",
    )
    parser.add_argument("--http-only", type=int, metavar="TURNS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.http_only is not None:
        print(json.dumps(bench_http(args.http_only)))
        return 0
    if args.publish and (args.quick or args.no_http):
        parser.error("--publish publishes a full run: without --quick and --no-http")
    report = run_all(Config.quick_run() if args.quick else Config.full(), http=not args.no_http)
    markdown = bench_report.write(report, Path(args.out))
    if args.publish:
        bench_report.publish(report, ROOT)
    print(markdown)
    failed = [row["figure"] for row in report["targets"] if not row["ok"]]
    if failed:
        print(f"targets missed: {'; '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
