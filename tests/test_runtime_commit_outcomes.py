"""The commit path's checks that no other test pinned (the survivors of ``make mutate``): each test here
fails when its check is weakened.

- a transaction cancelled for a reason other than a failed condition is an error, never success;
- a commit whose response was lost is recognised through the slack log after lease takeovers, as long as
  the log reaches back to it, and reported as *unknown* (never as lost) once it does not;
- a commit that never landed is never taken for one that did, however many takeovers followed;
- a page of history written late by a holder that lost its lease never replaces a longer page.

The takeovers are made by hand on the table (an acquire whose lease has already run out, taken over by
the next): exactly what a holder that crashed or stalled past its lease leaves behind.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from durable_agents.runtime import CommitOutcomeUnknown, Env, LeaseLost, clock
from durable_agents.runtime.table import (
    SLACK_LOG_ENTRIES,
    STATE_SK,
    Close,
    Commit,
    StateSnapshot,
    StateTable,
    page_items,
    page_sk,
)
from tests.conftest import TABLE


def now_ms() -> int:
    return clock.now_ms()


def expires() -> int:
    return now_ms() // 1000 + 3600


def acquire(table: StateTable, pk: str, owner: str, *, expired: bool = False) -> StateSnapshot:
    """Take the lease by hand; ``expired``: a lease that has already run out (the next acquire takes over)."""
    now = now_ms()
    until = now - 1 if expired else now + 60_000
    return table.acquire(pk, owner=owner, until=until, now=now, expires_at=expires())


def takeovers(table: StateTable, pk: str, rounds: int, tag: str) -> None:
    """``rounds`` times: a holder whose lease runs out, taken over by another that releases. Each round
    moves the fence one further than the version (the slack), so each logs one slack change."""
    for i in range(rounds):
        acquire(table, pk, f"{tag}-stalled-{i}", expired=True)
        taker = acquire(table, pk, f"{tag}-taker-{i}")
        table.release(Close(pk=pk, owner=f"{tag}-taker-{i}", fence=taker.fence, snapshot=taker))


def counter_close(pk: str, owner: str, snapshot: StateSnapshot, count: int) -> Close:
    """A commit's close that sets the counter's tally (as a Counter turn writing only hot values would)."""
    return Close(
        pk=pk,
        owner=owner,
        fence=snapshot.fence,
        snapshot=snapshot,
        seq=snapshot.seq,
        paged=snapshot.paged,
        gen=snapshot.gen,
        hot=[("tally", json.dumps({"count": count, "last_by": "by-hand"}, separators=(",", ":")))],
        tail=snapshot.tail,
        own=snapshot.own,
        expires_at=expires(),
    )


def state(table: StateTable, pk: str) -> dict[str, Any]:
    return table.client.get_item(
        TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": STATE_SK}}, ConsistentRead=True
    )["Item"]


# --- cancellations for other reasons ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ValidationError", "ItemCollectionSizeLimitExceeded"])
def test_a_transaction_cancelled_for_another_reason_is_an_error_and_stores_nothing(
    env: Env, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    stub = env.COUNTER.get_by_name(f"cancelled-{code}")
    stub.call("increment", who="first", idempotency_key="first")
    real = dynamodb.transact_write_items
    cancelled: list[int] = []

    def cancel(**kwargs: Any) -> Any:
        items = kwargs["TransactItems"]
        reasons = [{"Code": "None"} for _ in items[:-1]] + [{"Code": code, "Message": f"{code} (injected)"}]
        cancelled.append(len(items))
        raise dynamodb.exceptions.TransactionCanceledException(
            {
                "Error": {
                    "Code": "TransactionCanceledException",
                    "Message": f"Transaction cancelled [{code}]",
                },
                "CancellationReasons": reasons,
            },
            "TransactWriteItems",
        )

    monkeypatch.setattr(dynamodb, "transact_write_items", cancel)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        stub.call("increment", who="second", idempotency_key="second")  # keyed: its commit is a transaction
    assert cancelled == [cancelled[0]]  # not retried as if it were transient
    monkeypatch.setattr(dynamodb, "transact_write_items", real)
    assert stub.count() == 1 and [e["who"] for e in stub.recent(5)] == ["first"]
    assert "owner" not in state(env.table, stub.id.key)  # the lease was given back
    assert stub.call("increment", who="second", idempotency_key="second") == 2  # and the key is still free


# --- lost commits and the slack log ----------------------------------------------------------------------


def landed_then_lost(env: Env, name: str, rounds_after: int) -> tuple[StateTable, str, Commit]:
    """A commit that landed (its response lost), then ``rounds_after`` takeovers: the same commit is sent
    again by the caller, as botocore does after a lost response. A takeover came before it too, so the
    slack at its version is not 0 (a log that forgets it would compute another fence)."""
    stub = env.COUNTER.get_by_name(name)
    stub.increment(who="first")
    table, pk = env.table, stub.id.key
    takeovers(table, pk, 1, "before")
    holder = acquire(table, pk, "holder")
    assert holder.fence != holder.ver + 1  # the slack is not 0: only the log tells this fence
    commit = Commit(token=f"{name}-token", closes=[counter_close(pk, "holder", holder, 41)])
    table.commit(commit)  # lands
    takeovers(table, pk, rounds_after, "after")
    return table, pk, commit


@pytest.mark.parametrize("rounds", [1, 3, SLACK_LOG_ENTRIES - 1])
def test_a_lost_commit_is_recognised_after_lease_takeovers(env: Env, rounds: int) -> None:
    table, pk, commit = landed_then_lost(env, f"recognised-{rounds}", rounds)
    table.commit(commit)  # the retry meets a state moved on by takeovers: recognised as applied, no error
    assert env.COUNTER.get_by_name(f"recognised-{rounds}").count() == 41


def test_past_the_slack_log_a_lost_commit_is_unknown_never_lost(env: Env) -> None:
    table, pk, commit = landed_then_lost(env, "forgotten", SLACK_LOG_ENTRIES + 1)
    with pytest.raises(CommitOutcomeUnknown):
        table.commit(commit)  # it did land: saying "lost" would make a caller without a key apply it twice


@pytest.mark.parametrize("rounds", [1, 3])
def test_a_commit_that_never_landed_is_lease_lost_after_takeovers(env: Env, rounds: int) -> None:
    stub = env.COUNTER.get_by_name(f"never-landed-{rounds}")
    stub.increment(who="first")
    table, pk = env.table, stub.id.key
    takeovers(table, pk, 1, "before")
    stale = acquire(table, pk, "stale", expired=True)  # its lease runs out before it commits
    takeovers(table, pk, rounds, "after")
    with pytest.raises(LeaseLost):
        table.commit(Commit(token="stale-token", closes=[counter_close(pk, "stale", stale, 99)]))
    assert stub.count() == 1


# --- history pages written late ---------------------------------------------------------------------------


def test_a_late_page_from_a_holder_that_lost_its_lease_never_replaces_a_longer_one(env: Env) -> None:
    stub = env.COUNTER.get_by_name("late-page")
    stub.append([{"n": i} for i in range(150)])  # past the STATE item's tail: pages of their own
    table, pk = env.table, stub.id.key
    snapshot = table.peek(pk)
    first_page = table.client.get_item(
        TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": page_sk(snapshot.gen, 1)}}, ConsistentRead=True
    )["Item"]
    held = len(first_page["e"]["L"])
    assert held > 5
    stale = acquire(table, pk, "stale", expired=True)
    takeovers(table, pk, 1, "newer")  # a newer holder took the lease: the stale one's commit must fail
    shorter = page_items(pk, snapshot.gen, 1, [entry["S"] for entry in first_page["e"]["L"][:5]])
    with pytest.raises(LeaseLost):
        table.commit(Commit(token="late", closes=[stale_close(pk, stale)], pre_puts=shorter))
    assert [e["n"] for e in stub.recent(150)] == list(range(150))  # every entry still there


def stale_close(pk: str, snapshot: StateSnapshot) -> Close:
    return Close(pk=pk, owner="stale", fence=snapshot.fence, snapshot=snapshot)
