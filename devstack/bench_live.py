"""``python -m devstack.bench_live`` (``make bench-live``, part of ``make bench``): live sessions' figures.

On the local stack (moto, the gateway with its WebSocket, the alarm clock, all in this process), with
real sockets (``websocket-client``):

* **push**: a reminder's alarm falls due (the runtime's clock is moved past it) -> the ``push`` event
  on a connected socket; target p95 <= 1 s (the alarm clock sweeps every quarter second);
* **second client**: a turn's commit lands -> the same ``turn`` event on a second socket of the user;
  target p95 <= 300 ms;
* **first progress**: a chat message sent -> its first ``progress`` event; target <= 200 ms (p95);
* **idle cost** per open client per hour, polling every 3 s vs an open socket, from AWS's published
  prices (us-east-1, /work/shared/ARCHITECTURE.md): the model below, not a measurement.

Writes ``.bench/live.json`` and prints a Markdown table; exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".bench" / "live.json"

# AWS published prices, us-east-1 (see ARCHITECTURE.md, "API Gateway WebSocket facts")
REST_PER_MILLION = 3.50
WS_MESSAGES_PER_MILLION = 1.00
WS_CONNECTION_MINUTES_PER_MILLION = 0.25
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_GB_SECOND = 0.0000166667
DYNAMODB_READS_PER_MILLION = 0.25  # on-demand read request units

POLL_SECONDS = 3.0
POLL_FUNCTIONS = 2  # the Api function and the object host it invokes
POLL_SECONDS_BILLED = 0.03  # a warm session read, per function
POLL_MEMORY_GB = 1.0
POLL_READ_UNITS = 2  # the session manager's record, the conversation's view (strongly consistent)
WS_IDLE_RECONNECT_MINUTES = 10  # API Gateway closes an idle socket after 10 minutes: the page reconnects
RECONNECT_INVOCATIONS = 3  # the authorizer, $connect, the subscribe message
RECONNECT_MESSAGES = 2  # the subscribe, the subscribed answer


def idle_cost_per_hour() -> dict[str, float]:
    """Dollars per open, idle client per hour: polling every 3 s vs a socket (the module documentation)."""
    polls = 3600 / POLL_SECONDS
    per_poll = (
        REST_PER_MILLION / 1e6
        + POLL_FUNCTIONS * LAMBDA_REQUESTS_PER_MILLION / 1e6
        + POLL_FUNCTIONS * POLL_SECONDS_BILLED * POLL_MEMORY_GB * LAMBDA_GB_SECOND
        + POLL_READ_UNITS * DYNAMODB_READS_PER_MILLION / 1e6
    )
    reconnects = 60 / WS_IDLE_RECONNECT_MINUTES
    per_reconnect = (
        RECONNECT_INVOCATIONS * LAMBDA_REQUESTS_PER_MILLION / 1e6
        + RECONNECT_INVOCATIONS * POLL_SECONDS_BILLED * POLL_MEMORY_GB * LAMBDA_GB_SECOND
        + RECONNECT_MESSAGES * WS_MESSAGES_PER_MILLION / 1e6
        + 2 * POLL_READ_UNITS * DYNAMODB_READS_PER_MILLION / 1e6
    )
    socket = 60 * WS_CONNECTION_MINUTES_PER_MILLION / 1e6 + reconnects * per_reconnect
    return {"polling": polls * per_poll, "socket": socket, "ratio": polls * per_poll / socket}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


@contextmanager
def _stack() -> Iterator[tuple[str, Any]]:
    from devstack.alarm_clock import AlarmClock
    from devstack.gateway import ApiGateway
    from devstack.local_patches import patch_local_stack
    from devstack.moto_stack import start_local_stack
    from durable_agents.runtime import aws, reset_default_env

    patch_local_stack()
    for name in ("werkzeug", "devstack.gateway", "devstack.lambda", "botocore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    stack = start_local_stack(server=True)
    before = dict(os.environ)
    try:
        os.environ.update(stack.environ)
        reset_default_env()
        aws.client.cache_clear()
        gateway = ApiGateway.for_stack(stack).start()
        alarms = AlarmClock.for_stack(stack).start()
        try:
            yield gateway.url, stack
        finally:
            alarms.stop()
            gateway.stop()
    finally:
        os.environ.clear()
        os.environ.update(before)
        reset_default_env()
        aws.client.cache_clear()
        stack.stop()


def _socket(url: str, user: str) -> Any:
    import websocket

    return websocket.create_connection(
        url.replace("http://", "ws://") + f"/ws?userId={user}", origin=url, timeout=30
    )


def _events(sock: Any, until: Callable[[dict[str, Any]], bool]) -> list[tuple[float, dict[str, Any]]]:
    seen: list[tuple[float, dict[str, Any]]] = []
    while True:
        event = json.loads(sock.recv())
        seen.append((time.perf_counter(), event))
        if until(event):
            return seen


def _subscribe(sock: Any, session: str) -> None:
    sock.send(json.dumps({"action": "subscribe", "sessionId": session}))
    _events(sock, lambda event: event["type"] == "subscribed")


def _chat(sock: Any, session: str, text: str) -> float:
    started = time.perf_counter()
    sock.send(json.dumps({"action": "chat", "sessionId": session, "message": text}))
    return started


def measure(rounds: int) -> dict[str, Any]:
    """The three latency figures over ``rounds`` each, on a fresh local stack."""
    from durable_agents.runtime import clock, turn

    committed: dict[str, float] = {}
    real_after_commit = turn.run_after_commit  # type: ignore[attr-defined]

    def timed_after_commit(callbacks: Any) -> None:
        committed["at"] = time.perf_counter()  # the commit has landed: the output gate opens
        real_after_commit(callbacks)

    with _stack() as (url, _):
        turn.run_after_commit = timed_after_commit  # type: ignore[attr-defined]
        try:
            first_progress, second_client = [], []
            a, b = _socket(url, "bench"), _socket(url, "bench")
            _subscribe(a, "bench-turns")
            _subscribe(b, "bench-turns")
            _chat(a, "bench-turns", "Plan a trip to Paris")  # warm
            _events(a, lambda event: event["type"] == "turn")
            _events(b, lambda event: event["type"] == "turn")
            for index in range(rounds):
                message = f"from Boston, {2 + index % 5} days in May, {1 + index % 3} adults"
                sent = _chat(a, "bench-turns", message)
                seen = _events(a, lambda event: event["type"] == "turn")
                progress = [at for at, event in seen if event["type"] == "progress"]
                if progress:
                    first_progress.append((progress[0] - sent) * 1000)
                landed = committed["at"]
                received = [at for at, event in _events(b, lambda event: event["type"] == "turn")][-1]
                second_client.append((received - landed) * 1000)
                for sock in (a, b):  # the state event that follows
                    _events(sock, lambda event: event["type"] == "state")

            moment = [time.time()]
            real_source = clock.source
            clock.source = lambda: moment[0]
            push: list[float] = []
            try:
                for index in range(max(3, rounds // 2)):
                    session = f"bench-push-{index}"
                    sock = _socket(url, "bench")
                    _subscribe(sock, session)
                    for text in ("Plan a trip to Rome from Boston", "remind me in 30 minutes to check in"):
                        _chat(sock, session, text)
                        _events(sock, lambda event: event["type"] == "turn")
                    moment[0] += 30 * 60 + 1  # due now
                    due = time.perf_counter()
                    pushed = _events(sock, lambda event: event["type"] == "push")[-1][0]
                    push.append((pushed - due) * 1000)
                    sock.close()
            finally:
                clock.source = real_source
            a.close()
            b.close()
        finally:
            turn.run_after_commit = real_after_commit  # type: ignore[attr-defined]
    return {
        "push_ms": {"p50": statistics.median(push), "p95": _p95(push), "n": len(push), "target_p95": 1000},
        "second_client_ms": {
            "p50": statistics.median(second_client),
            "p95": _p95(second_client),
            "n": len(second_client),
            "target_p95": 300,
        },
        "first_progress_ms": {
            "p50": statistics.median(first_progress),
            "p95": _p95(first_progress),
            "n": len(first_progress),
            "target_p95": 200,
        },
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    rows = ["| figure | p50 | p95 | target | holds |", "|---|---|---|---|---|"]
    names = {
        "push_ms": "a pushed reminder: alarm due -> event on a connected socket",
        "second_client_ms": "a committed turn -> the same event on a second client",
        "first_progress_ms": "a message sent -> its first progress event",
    }
    for key, name in names.items():
        value = figures[key]
        holds = "yes" if value["p95"] <= value["target_p95"] else "NO"
        rows.append(
            f"| {name} (n={value['n']}) | {value['p50']:.0f} ms | {value['p95']:.0f} ms "
            f"| p95 <= {value['target_p95']} ms | {holds} |"
        )
    cost = figures["idle_cost_per_hour"]
    rows += [
        "",
        "| idle client, per hour (AWS prices, us-east-1) | polling every 3 s | an open socket |",
        "|---|---|---|",
        f"| dollars | ${cost['polling']:.5f} | ${cost['socket']:.7f} ({cost['ratio']:.0f}x less) |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Measure, write ``.bench/live.json``, print the table; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    figures = measure(args.rounds)
    figures["idle_cost_per_hour"] = idle_cost_per_hour()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(report(figures), flush=True)
    missed = [
        key for key, value in figures.items() if "target_p95" in value and value["p95"] > value["target_p95"]
    ]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
