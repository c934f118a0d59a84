"""Alarms and schedules: objects that act later, without a request. Time is moved, never waited for:
the runtime's clock (``durable_agents.runtime.clock.source``) is set by the tests, and the sweeper is run
by hand (it is what the AlarmSweeper function and the local stack run)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from durable_agents.runtime import Env, InvalidValue, clock
from durable_agents.runtime.alarms import MAX_RETRIES, Sweeper, alarm_event, backoff_ms
from durable_agents.runtime.host import host_call
from durable_agents.runtime.turn import run_alarm
from tests.conftest import TABLE, make_env
from tests.support.clock import held_clock

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The runtime's clock, at ``now[0]`` seconds (start: 2026-12-01 12:00 UTC); move it by assigning."""
    yield held_clock(monkeypatch, START)


def sweeper(env: Env) -> Sweeper:
    """The sweeper, firing through the object host's event handler, as the stack does."""
    return Sweeper(env.table, lambda pk: host_call(alarm_event(pk), env))


def sweep(env: Env) -> int:
    runner = sweeper(env)
    fired, _ = runner.sweep()
    runner.drain()
    return fired


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- the alarm ----------------------------------------------------------------------------------------------


def test_an_alarm_fires_when_due_and_once(env: Env, now: list[float]) -> None:
    stub = env.ALARMED.get_by_name("a")
    assert stub.arm(ms(START + timedelta(minutes=5))) == ms(START + timedelta(minutes=5))
    assert sweep(env) == 0  # not yet
    now[0] += 5 * 60
    assert sweep(env) == 1
    seen = stub.seen()
    assert seen["fired"] == 1 and seen["alarm"] is None and seen["infos"] == [[0, False]]
    assert sweep(env) == 0  # cleared by the turn that ran it
    assert host_call(alarm_event(stub.id.key), env) == {"alarm": "not_due"}  # a late duplicate: nothing
    assert stub.seen()["fired"] == 1


def test_set_alarm_takes_an_aware_datetime_and_refuses_nonsense(env: Env) -> None:
    stub = env.ALARMED.get_by_name("kinds")
    assert stub.call("arm", ms(START)) == ms(START)
    with pytest.raises(InvalidValue):
        stub.arm(-5)
    assert stub.seen()["alarm"] == ms(START)  # a refused turn changed nothing


def test_a_turn_that_sets_an_alarm_and_then_raises_sets_none(env: Env, now: list[float]) -> None:
    stub = env.ALARMED.get_by_name("raising")
    with pytest.raises(RuntimeError):
        stub.arm(ms(START), then_raise=True)
    assert stub.seen()["alarm"] is None
    assert env.table.due_alarms(until=ms(START) + 10**9) == []


def test_deleting_the_alarm_cancels_it(env: Env, now: list[float]) -> None:
    stub = env.ALARMED.get_by_name("cancelled")
    stub.arm(ms(START))
    stub.disarm()
    now[0] += 60
    assert sweep(env) == 0 and stub.seen()["fired"] == 0


def test_a_failing_alarm_is_retried_with_backoff_then_dropped(
    env: Env, now: list[float], caplog: Any
) -> None:
    stub = env.ALARMED.get_by_name("flaky")
    stub.arm(ms(START), fail_times=2)
    assert run_alarm(env, stub.id) == "retry"
    assert stub.seen()["alarm"] == ms(START) + backoff_ms(0)  # 2 s later
    now[0] += 1.9
    assert run_alarm(env, stub.id) == "not_due"
    now[0] += 0.1
    assert run_alarm(env, stub.id) == "retry"
    assert stub.seen()["alarm"] == clock.now_ms() + backoff_ms(1)  # then 4 s
    now[0] += 4
    assert run_alarm(env, stub.id) == "fired"
    assert stub.seen()["infos"] == [[2, True]]  # the failed deliveries' writes were undone
    assert stub.seen()["fired"] == 1

    doomed = env.ALARMED.get_by_name("doomed")
    doomed.arm(clock.now_ms(), fail_times=100)
    outcomes = []
    for _ in range(MAX_RETRIES + 1):
        now[0] += 3600
        outcomes.append(run_alarm(env, doomed.id))
    assert outcomes == ["retry"] * MAX_RETRIES + ["failed"]
    assert doomed.seen()["alarm"] is None and "failed 7 times" in caplog.text


def test_an_alarm_fires_after_its_setters_process_is_gone(dynamodb: Any, now: list[float]) -> None:
    """The setting Env (a process: its clients, caches, threads) is dropped; a new one, as a fresh
    Lambda would be, finds the alarm in the table and fires it."""
    setter = make_env(dynamodb)
    setter.ALARMED.get_by_name("orphan").arm(ms(START + timedelta(seconds=30)))
    del setter
    now[0] += 31
    fresh = make_env(dynamodb)
    assert sweep(fresh) == 1
    assert fresh.ALARMED.get_by_name("orphan").seen()["fired"] == 1


@pytest.mark.parametrize("crowd", [50, pytest.param(1000, marks=pytest.mark.slow)])
def test_many_objects_due_together_all_fire_once(env: Env, now: list[float], crowd: int) -> None:
    """50 objects in ``make test``, 1,000 in ``make test-slow``: one sweep fires each exactly once."""
    names = [f"crowd-{i}" for i in range(crowd)]
    due = ms(START + timedelta(minutes=1))
    for name in names:
        env.ALARMED.get_by_name(name).arm(due)
    now[0] += 60
    fired = sweeper(env)
    assert fired.sweep()[0] == crowd
    fired.drain()
    assert sweep(env) == 0
    counts = [env.ALARMED.get_by_name(name).seen()["fired"] for name in names]
    assert counts == [1] * crowd


def test_the_sweeper_fires_an_alarm_once_even_when_sweeps_overlap(env: Env, now: list[float]) -> None:
    stub = env.ALARMED.get_by_name("overlap")
    stub.arm(ms(START))
    runners = [sweeper(env) for _ in range(3)]
    threads = [threading.Thread(target=runner.sweep) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for runner in runners:
        runner.drain()
    assert stub.seen()["fired"] == 1


def test_run_for_waits_for_an_alarm_due_within_its_window(env: Env) -> None:
    """The AlarmSweeper's minute: it fires an alarm that falls due while it runs (real time here)."""
    stub = env.ALARMED.get_by_name("soon")
    stub.arm(clock.now_ms() + 300)
    assert sweeper(env).run_for(3, reread_seconds=1) == 1
    assert stub.seen()["fired"] == 1


# --- schedules ------------------------------------------------------------------------------------------


def test_a_one_time_schedule_runs_once_and_is_gone(env: Env, now: list[float]) -> None:
    stub = env.PLANNER.get_by_name("once")
    record = stub.plan(90, {"say": "hi"})
    assert record["kind"] == "once" and record["due"] == ms(START) + 90_000
    assert stub.alarm_at() == record["due"]
    now[0] += 90
    assert sweep(env) == 1
    assert stub.notes() == [{"say": "hi"}] and stub.schedules() == [] and stub.alarm_at() is None


def test_interval_and_cron_schedules_run_again_and_asking_again_keeps_one(env: Env, now: list[float]) -> None:
    stub = env.PLANNER.get_by_name("repeating")
    every = stub.plan_every(3600, "hourly")
    cron = stub.plan("0 9 * * *", "daily")  # 09:00 UTC
    assert stub.plan_every(3600, "hourly") == every  # on every wake, say: still one
    assert stub.plan("0 9 * * *", "daily") == cron
    assert len(stub.schedules()) == 2
    assert cron["due"] == ms(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert stub.alarm_at() == every["due"]  # the earliest
    for _ in range(3):
        now[0] += 3600
        sweep(env)
    assert stub.notes() == ["hourly"] * 3
    now[0] = datetime(2026, 12, 2, 9, 0, 30, tzinfo=UTC).timestamp()
    sweep(env)
    assert stub.notes().count("daily") == 1
    [daily, hourly] = sorted(stub.schedules(), key=lambda r: r["kind"])  # cron, every
    assert daily["due"] == ms(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    assert hourly["due"] > clock.now_ms()


def test_a_schedule_missed_while_the_host_was_down_runs_once(env: Env, now: list[float]) -> None:
    stub = env.PLANNER.get_by_name("missed")
    stub.plan_every(60, "tick")
    now[0] += 60 * 30  # half an hour of no sweeper at all
    sweep(env)
    assert stub.notes() == ["tick"]  # once, not 30 times
    assert stub.schedules()[0]["due"] == ms(START) + 31 * 60_000


def test_cancel_a_schedule(env: Env, now: list[float]) -> None:
    stub = env.PLANNER.get_by_name("cancelling")
    first = stub.plan(60, "first")
    second = stub.plan(120, "second")
    assert stub.cancel(first["id"]) is True and stub.cancel(first["id"]) is False
    assert stub.alarm_at() == second["due"]
    now[0] += 300
    sweep(env)
    assert stub.notes() == ["second"]


def test_a_failing_schedule_is_retried_then_marked_failed_and_kept(
    env: Env, now: list[float], caplog: Any
) -> None:
    stub = env.PLANNER.get_by_name("failing")
    stub.plan_failing(10)
    stub.plan(10, "kept")
    now[0] += 10
    sweep(env)
    assert stub.notes() == ["kept"]  # the other schedule ran; the failure's writes were undone
    for _ in range(10):
        now[0] += 3600
        sweep(env)
    (failed,) = stub.schedules()
    assert failed["status"] == "failed" and failed["retries"] == 7 and "always fails" in failed["error"]
    assert stub.alarm_at() is None and "marked failed" in caplog.text
    assert stub.notes() == ["kept"]


def test_scheduling_needs_a_method_and_a_time(env: Env) -> None:
    stub = env.PLANNER.get_by_name("bad")
    with pytest.raises(InvalidValue):
        stub.plan("not a cron")
    with pytest.raises(InvalidValue):
        stub.plan_every(0.1)
    assert stub.schedules() == []


def test_the_alarm_index_holds_only_objects_with_an_alarm(env: Env, dynamodb: Any, now: list[float]) -> None:
    env.ALARMED.get_by_name("indexed").arm(ms(START))
    env.COUNTER.get_by_name("plain").increment()
    index = dynamodb.scan(TableName=TABLE, IndexName="alarms")["Items"]
    assert [item["pk"]["S"] for item in index] == [env.ALARMED.id_from_name("indexed").key]


def test_an_object_outlives_its_pending_alarm_by_its_retention(dynamodb: Any, now: list[float]) -> None:
    """The TTL is the retention after the last change or after the alarm, whichever is later: an alarm
    two months out keeps its object (with 30 days' retention), later turns and failed turns do not
    shorten that, and once the alarm has fired the object is idle from then on."""
    env = make_env(dynamodb, object_retention_days="ALARMED=30,*=30", busy_wait_seconds=5)
    stub = env.ALARMED.get_by_name("far")

    def expires_at() -> int:
        item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": stub.id.key}, "sk": {"S": "STATE"}})
        return int(item["Item"]["expires_at"]["N"])

    due = START + timedelta(days=60)
    stub.arm(ms(due))
    assert expires_at() == int((due + timedelta(days=30)).timestamp())
    now[0] += 86_400
    stub.arm(ms(due))  # another change, a day later: the alarm still decides
    with pytest.raises(RuntimeError):
        stub.arm(ms(START), then_raise=True)  # a failed turn: its acquire leaves the TTL alone
    assert expires_at() == int((due + timedelta(days=30)).timestamp())
    stub.disarm()  # no alarm: the retention after this change
    assert expires_at() == int(now[0]) + 30 * 86_400
    stub.arm(ms(due))
    now[0] = due.timestamp()
    assert sweep(env) == 1
    assert expires_at() == int(due.timestamp()) + 30 * 86_400


def test_an_alarm_yields_to_a_chat_turn_that_takes_the_same_objects_the_other_way_round(
    dynamodb: Any, now: list[float]
) -> None:
    """A chat turn holds the conversation and calls the travel agent; the travel agent's alarm holds the
    travel agent and posts to the conversation. Caught in the middle, each waits for the other: the
    alarm gives up after a second (its writes undone, deferred with its retry count unchanged) and the
    chat completes, without waiting out its 30-second budget; the alarm then runs once."""
    import time

    from durable_agents.runtime.alarms import deferral_ms
    from durable_agents.runtime.turn import BACKGROUND_WAIT_SECONDS
    from tests.support.objects import Desk, Watch

    env = make_env(dynamodb, lease_seconds=120, busy_wait_seconds=30)
    desk, watch = env.DESK.get_by_name("conversation"), env.WATCH.get_by_name("travel")
    watch.arm(ms(START), "conversation")
    Desk.holding, Desk.go, Watch.holding, Watch.go = (threading.Event() for _ in range(4))
    outcome: list[Any] = []
    chat: list[Any] = []

    def run_chat() -> None:
        started = time.monotonic()
        try:
            chat.append(desk.chat("travel"))
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            chat.append(error)
        chat.append(time.monotonic() - started)

    try:
        threads = [
            threading.Thread(target=run_chat),
            threading.Thread(target=lambda: outcome.append(run_alarm(env, watch.id))),
        ]
        for thread in threads:
            thread.start()
        assert Desk.holding.wait(10) and Watch.holding.wait(10)  # each holds its first object
        Desk.go.set()
        Watch.go.set()
        for thread in threads:
            thread.join(60)
    finally:
        Desk.holding = Desk.go = Watch.holding = Watch.go = None
    assert chat[0] == "1", chat  # the chat turn went through
    assert chat[1] < 15, f"the chat waited {chat[1]:.1f} s"  # ~1 s (the alarm's yield), never the 30 s
    assert outcome == ["deferred"]
    assert desk.seen() == {"chats": 1, "posts": []}
    seen = watch.seen()
    assert seen["infos"] == []  # the yielded delivery's writes were undone
    assert ms(START) + 1_000 <= seen["alarm"] <= ms(START) + 2_000  # deferred a moment
    assert BACKGROUND_WAIT_SECONDS < 30 and 1_000 <= deferral_ms() < 2_000
    now[0] += 2
    assert run_alarm(env, watch.id) == "fired"
    assert watch.seen() == {"alarm": None, "infos": [[0, False]]}  # not counted as a failed try
    assert desk.seen() == {"chats": 1, "posts": ["reminder"]}


# --- the local stack's clock ------------------------------------------------------------------------------


def test_the_local_alarm_clock_fires_within_a_second_of_the_due_time(env: Env) -> None:
    import time

    from devstack.alarm_clock import AlarmClock

    stub = env.ALARMED.get_by_name("local-clock")
    fired_at: list[float] = []
    done = threading.Event()

    def deliver(event: dict[str, Any]) -> Any:
        result = host_call(event, env)
        fired_at.append(time.time())
        done.set()
        return result

    alarm_clock = AlarmClock(env.table, deliver).start()
    try:
        due = time.time() + 0.5
        stub.arm(int(due * 1000))
        assert done.wait(5)
    finally:
        alarm_clock.stop()
    assert stub.seen()["fired"] == 1
    assert 0 <= fired_at[0] - due < 1.0
