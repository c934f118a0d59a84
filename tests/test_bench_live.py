"""Live sessions' figures (devstack/bench_live.py): the latency targets on the local stack, with bounds
generous enough for a loaded 2-core machine, and the idle cost model from AWS's prices."""

from __future__ import annotations

from devstack.bench_live import idle_cost_per_hour, measure


def test_an_idle_socket_costs_a_hundredth_of_polling_every_3_seconds() -> None:
    cost = idle_cost_per_hour()
    assert 0.004 < cost["polling"] < 0.008  # the "some $0.006 an hour"
    assert cost["socket"] < cost["polling"] / 100


def test_push_second_client_and_first_progress_latencies_on_the_local_stack() -> None:
    figures = measure(rounds=4)
    assert figures["push_ms"]["p95"] <= 2000  # target 1 s (make bench holds it)
    assert figures["second_client_ms"]["p95"] <= 1000  # target 300 ms
    assert figures["first_progress_ms"]["p95"] <= 1000  # target 200 ms
