"""Load through the real HTTP API: many sessions at once, and many clients on ONE session at once.

The stack is the template's, on moto's server (``ThreadedMotoServer``) with the API gateway on loopback:
every ``/chat`` is an HTTP request -> API Gateway proxy event -> API function -> Lambda invoke (moto) ->
object host -> ConversationManager -> TravelAgent, with the real lease lock on every object.

Checked: no 5xx at all except ``503`` + ``Retry-After`` (busy), which the client honours and retries with
the same ``Idempotency-Key``; every accepted turn is in the session's transcript (read as its owner
through ``GET /sessions/{id}``, page by page) exactly once, both sides, in each client's order; nothing
else is there.

``make test`` runs a small version, ``make test-slow`` the quick one; ``make soak`` (``SOAK=1``) the long one.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from durable_agents.api.identity import scoped_key
from tests.support.api_client import ApiClient
from tests.support.stack import HttpStack, http_stack

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

SOAK = os.environ.get("SOAK") == "1"

MESSAGES = [
    "Plan a trip to {city}",
    "from Boston, 5 days in May, 2 adults, budget 3000 USD",
    "What's the weather like in {city} next week?",
    "Hotels in {city} for 3 nights",
    "make it 4 people",
    "Things to do in {city}?",
    "Flights from London to {city} in June",
    "I love museums and food",
    "What do you know about my trip so far?",
    "Thanks! Any tips for {city}?",
]
CITIES = [
    "Paris",
    "Tokyo",
    "Rome",
    "Lisbon",
    "Barcelona",
    "Berlin",
    "Prague",
    "Vienna",
    "Madrid",
    "Amsterdam",
]


def text_for(client: int, turn: int) -> str:
    return MESSAGES[(client + turn) % len(MESSAGES)].format(city=CITIES[client % len(CITIES)])


@pytest.fixture(scope="module")
def api() -> Iterator[HttpStack]:
    with http_stack() as stack:
        yield stack


Sent = list[tuple[str, str]]
"""One client's accepted turns, in order: (Idempotency-Key, message text)."""


LATENCIES: list[float] = []
"""Seconds each /chat took (printed as p50/p95; never asserted: they depend on the machine)."""


def converse(client: ApiClient, *, session: str, user: str, name: str, turns: int) -> Sent:
    """One client: ``turns`` chat turns one after the other; each must end in 200."""
    sent: Sent = []
    for turn in range(turns):
        key = f"{name}-t{turn}"
        text = text_for(sum(map(ord, name)), turn)
        started = time.perf_counter()
        reply = client.chat(text, session=session, user=user, key=key)
        LATENCIES.append(time.perf_counter() - started)
        assert reply.status == 200, (name, turn, reply.status, reply.body[:300])
        body = reply.json()
        assert body["sessionId"] == session
        assert body["content"].strip() and body["type"] in ("answer", "clarification", "state")
        sent.append((key, text))
    return sent


def check_history(entries: list[dict[str, Any]], sent_by_client: dict[str, Sent], user: str) -> None:
    """Every accepted turn exactly once (user entry then agent entry), in each client's order, and
    nothing else."""
    user_ids = [entry["messageId"] for entry in entries if entry["role"] == "user"]
    agent_ids = [entry["messageId"] for entry in entries if entry["role"] == "agent"]
    sent_by_client = {
        client: [(scoped_key(user, "turn", key), text) for key, text in sent]
        for client, sent in sent_by_client.items()
    }
    expected = [key for sent in sent_by_client.values() for key, _ in sent]
    duplicates = [key for key, n in Counter(user_ids).items() if n > 1]
    assert not duplicates, f"turns recorded twice: {duplicates[:5]}"
    assert sorted(user_ids) == sorted(expected), "history and accepted turns differ"
    assert sorted(agent_ids) == sorted(expected)
    for position, entry in enumerate(entries):
        # each exchange is the user's message followed by the agent's answer to it (a turn is atomic)
        if entry["role"] == "user":
            assert entries[position + 1]["role"] == "agent"
            assert entries[position + 1]["messageId"] == entry["messageId"]
    texts = {entry["messageId"]: entry["content"] for entry in entries if entry["role"] == "user"}
    for client, sent in sent_by_client.items():
        order = [key for key in user_ids if key in {k for k, _ in sent}]
        assert order == [key for key, _ in sent], f"{client}'s turns are out of order"
        for key, text in sent:
            assert texts[key] == text


def run_load(
    api: HttpStack, *, sessions: int, turns: int, shared_clients: int, shared_turns: int, queue: bool = True
) -> None:
    """``sessions`` clients of their own and ``shared_clients`` on ONE session, all at once. With ``queue``,
    every turn must be answered 200 at the first try: a busy session makes callers wait their turn (within
    the wait budget), never answer 503."""
    client = ApiClient(api.url)
    run = f"r{time.monotonic_ns() % 10**9}"
    shared_session, shared_user = f"{run}-shared", f"{run}-shared-user"
    jobs: dict[str, tuple[str, str, int]] = {}
    for s in range(sessions):
        jobs[f"{run}-s{s}"] = (f"{run}-s{s}", f"{run}-u{s}", turns)
    for c in range(shared_clients):
        jobs[f"{run}-c{c}"] = (shared_session, shared_user, shared_turns)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {
            name: pool.submit(converse, client, session=session, user=user, name=name, turns=n)
            for name, (session, user, n) in jobs.items()
        }
        results = {name: future.result() for name, future in futures.items()}

    assert client.unexpected_5xx == [], client.unexpected_5xx[:3]
    if queue:
        assert set(client.statuses) == {200} and client.retries == 0, (client.statuses, client.retries)
    else:
        assert set(client.statuses) <= {200, 503}, client.statuses
        assert client.statuses[503] == client.retries  # every 503 was retried (after its Retry-After)

    by_session: dict[tuple[str, str], dict[str, Sent]] = {}
    for name, (session, user, _) in jobs.items():
        by_session.setdefault((session, user), {})[name] = results[name]
    for (session, user), sent_by_client in by_session.items():
        check_history(client.transcript(session, user, page=7), sent_by_client, user)

    # a retried turn (same key) is answered from the record and changes nothing
    shared = client.transcript(shared_session, shared_user)
    total = sum(len(sent) for sent in by_session[(shared_session, shared_user)].values())
    assert len(shared) == 2 * total
    first_key, first_text = results[f"{run}-c0"][0]
    replay = client.chat(first_text, session=shared_session, user=shared_user, key=first_key)
    assert replay.status == 200
    assert client.transcript(shared_session, shared_user) == shared
    ordered = sorted(LATENCIES)
    p50, p95 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]
    print(
        f"\nload: {len(jobs)} clients, {sum(len(s) for s in results.values())} turns answered, statuses "
        f"{dict(client.statuses)}, {client.retries} retries after 503; /chat p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms"
    )
    LATENCIES.clear()


def test_three_clients_on_one_session_and_two_sessions_all_answered_200(api: HttpStack) -> None:
    """The same load, small (``make test``): 3 concurrent turns on one session plus 2 sessions x 2 turns."""
    run_load(api, sessions=2, turns=2, shared_clients=3, shared_turns=1)


@pytest.mark.slow
def test_twenty_clients_on_one_session_and_sixteen_sessions_all_answered_200(api: HttpStack) -> None:
    """Issue 8's load: 20 concurrent /chat turns on one session plus 16 other sessions x 3 turns."""
    run_load(api, sessions=16, turns=3, shared_clients=20, shared_turns=1)


@pytest.mark.soak
@pytest.mark.skipif(not SOAK, reason="long run: make soak (SOAK=1)")
def test_soak_concurrent_sessions_and_clients_on_one_session(api: HttpStack) -> None:
    run_load(api, sessions=50, turns=10, shared_clients=20, shared_turns=10, queue=False)
