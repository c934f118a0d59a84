"""The benchmark (``make bench``) in its quick mode, held to the issues' targets, and the README to the
committed report.

Timings are never asserted (they depend on a shared, noisy machine, and the cold-start figures include
process start-up); counts and billed capacity are: a runtime figure of the targets table that is
exceeded fails here, ours never loses an update, and the naive baseline really does lose them and
really does break at DynamoDB's 400 KB (or the comparison is void, and this says so by failing).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devstack import bench_report

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "benchmarks" / "report.json"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "BINDING_"))}
    completed = subprocess.run(
        [sys.executable, "-m", "devstack.bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env={**environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "shared")])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    # exit 1 = a target was missed: the report is written all the same, and the tests below say which
    assert completed.returncode in (0, 1) and (out / "report.json").exists(), completed.stderr[-3000:]
    markdown = (out / "report.md").read_text()
    assert completed.stdout.strip().endswith(markdown.strip().splitlines()[-1])  # the Markdown is printed
    data = json.loads((out / "report.json").read_text())
    data["_markdown"] = markdown
    data["_exit"] = completed.returncode
    return data


def sane_latency(result: dict[str, Any]) -> None:
    assert result["n"] > 0
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert math.isfinite(result["mean_ms"])


# --- the targets: a runtime figure exceeded fails -------------------------------------------------------


@pytest.mark.slow
def test_a_counter_turn_on_the_big_object_costs_at_most_3_wcu_1_rcu_and_2_steps(
    report: dict[str, Any],
) -> None:
    capacity = report["runtime"]["capacity"]["big_object"]
    assert capacity["history"] == 10_000 and capacity["keys"] == 1_000 and capacity["value_bytes"] == 100_000
    turn = capacity["counter_turn"]
    assert turn["n"] >= 20
    assert turn["wcu"]["max"] <= 3, turn["per_turn"]
    assert turn["rcu"]["max"] <= 1, turn["per_turn"]
    assert turn["steps"]["median"] <= 2 and turn["steps"]["max"] <= 3, turn["per_turn"]
    assert turn["wcu"]["min"] >= 1 and turn["steps"]["min"] >= 2  # it was measured: an acquire and a commit


@pytest.mark.slow
def test_a_waiters_failed_acquire_costs_at_most_1_wcu(report: dict[str, Any]) -> None:
    waiter = report["runtime"]["capacity"]["big_object"]["failed_acquire"]
    assert waiter["answered_busy"] and waiter["failed_acquires"] >= 1  # the figure is a real failed acquire
    assert waiter["wcu_each_max"] <= 1
    assert waiter["polls"] >= 1 and waiter["rcu_each_max"] <= 1  # waiting polls with reads


@pytest.mark.slow
def test_chat_turn_100_costs_at_most_40_wcu_and_1_2_times_turn_3(report: dict[str, Any]) -> None:
    conversation = report["chat"]["ours_inprocess"]["conversation"]
    assert conversation["turns"] >= 100 and conversation["probe_turns"] == [3, 100]
    turn3, turn100 = conversation["per_turn"][2]["wcu"], conversation["per_turn"][99]["wcu"]
    assert 0 < turn3 and turn100 <= 40 and turn100 <= 1.2 * turn3, (turn3, turn100)
    assert all(0 < turn["wcu"] for turn in conversation["per_turn"])


@pytest.mark.slow
def test_a_keyed_retry_200_calls_and_23_hours_later_is_answered_from_its_record_and_applied_once(
    report: dict[str, Any],
) -> None:
    retry = report["runtime"]["capacity"]["keyed_retry"]
    assert retry["calls_between"] >= 200 and retry["hours_later"] >= 23
    assert retry["retry_answer"] == retry["first_answer"]
    assert (
        retry["times_applied"] == 1
        and retry["count_after"] == retry["expected_count"] == 1 + retry["calls_between"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("length", ["10", "1000", "10000"])
def test_a_counter_turns_wcu_is_flat_in_history_length(report: dict[str, Any], length: str) -> None:
    metered = report["runtime"]["ours"]["history"][length]["meter"]
    assert metered["wcu"]["max"] <= 3 and metered["rcu"]["max"] <= 1 and metered["steps"]["median"] == 2


@pytest.mark.slow
def test_the_report_states_the_targets_as_measured(report: dict[str, Any]) -> None:
    rows = report["targets"]
    assert len(rows) == 11 and all(row["ok"] for row in rows), [row for row in rows if not row["ok"]]
    assert report["_exit"] == 0  # make bench fails when a target is missed
    assert "## Targets (issues 8 and 9)" in report["_markdown"]


# --- ours against the naive baseline ------------------------------------------------------------------------


@pytest.mark.slow
def test_ours_loses_no_update_under_contention(report: dict[str, Any]) -> None:
    ours = report["runtime"]["ours"]["contention"]
    assert ours["expected"] == ours["threads"] * ours["increments_each"] >= 64
    assert ours["got"] == ours["expected"] and ours["lost_updates"] == 0
    chat = report["chat"]["ours_inprocess"]["contention"]
    assert chat["got"] == chat["expected_history_entries"] and chat["lost_entries"] == 0


@pytest.mark.slow
def test_the_naive_store_loses_updates_under_contention(report: dict[str, Any]) -> None:
    """Run after ours is checked exact (above, and independently): if the naive store lost nothing, the
    contention never happened and 'ours loses nothing' shows nothing, which is a failure, not a skip."""
    naive = report["runtime"]["naive"]["contention"]
    assert naive["expected"] == report["runtime"]["ours"]["contention"]["expected"]  # the same load
    assert naive["lost_updates"] > 0, (
        f"the comparison is void: the naive store lost no update ({naive['got']} of {naive['expected']}), "
        "so the contention run did not make turns overlap"
    )
    assert naive["got"] + naive["lost_updates"] == naive["expected"]


@pytest.mark.slow
def test_the_naive_store_breaks_at_400_kb_and_ours_does_not(report: dict[str, Any]) -> None:
    runtime = report["runtime"]
    longest = max(runtime["naive"]["history"], key=int)
    broken = runtime["naive"]["history"][longest]
    assert "error" in broken and broken["item_bytes"] > 400 * 1024, broken
    assert "error" not in runtime["ours"]["history"][longest]
    assert runtime["ours"]["history"][longest]["meter"]["wcu"]["max"] <= 3
    chat_longest = max(report["chat"]["naive"]["history"], key=int)
    assert "error" in report["chat"]["naive"]["history"][chat_longest]
    ours = report["chat"]["ours_inprocess"]["history"]
    assert "error" not in ours[chat_longest]
    assert ours[chat_longest]["round_trips"] == ours[min(ours, key=int)]["round_trips"]  # flat in history


@pytest.mark.slow
def test_the_runtime_section(report: dict[str, Any]) -> None:
    ours, naive = report["runtime"]["ours"], report["runtime"]["naive"]
    assert ours["turn"]["round_trips"] == 2  # acquire + commit, nothing else
    assert ours["turn"]["calls_per_turn"] == {"UpdateItem": 2}  # a counter turn's commit is one UpdateItem
    assert naive["turn"]["calls_per_turn"] == {"GetItem": 1, "PutItem": 1}
    assert ours["meter"]["steps"]["median"] == 2 and ours["meter"]["requests"]["median"] == 2
    for variant in (ours, naive):
        sane_latency(variant["turn"])
        assert set(variant["throughput"]) == {"1", "8", "32"}
        for level, result in variant["throughput"].items():
            assert result["sessions"] == int(level) and result["errors"] == 0
            assert result["turns"] > 0 and result["turns_per_s"] > 0
        assert variant["tracemalloc_peak_kb"] > 0
    assert list(ours["history"]) == ["10", "1000", "10000", "20000"]


@pytest.mark.slow
def test_the_chat_section(report: dict[str, Any]) -> None:
    chat = report["chat"]
    for variant in ("ours_lambda", "ours_inprocess", "naive"):
        result = chat[variant]
        sane_latency(result["turn"])
        assert result["turn"]["round_trips"] >= 2
        assert set(result["throughput"]) == {"1", "8", "32"}
        assert all(
            level["errors"] == 0 and level["turns_per_s"] > 0 for level in result["throughput"].values()
        )
        assert result["meter"]["wcu"]["median"] > 0 and result["meter"]["steps"]["median"] >= 2
    # through the object host (as /chat ran before one function per turn): stub calls are Lambda invokes
    assert chat["ours_lambda"]["turn"]["lambda_invokes"] > 0
    assert chat["ours_inprocess"]["turn"]["lambda_invokes"] == 0
    # per steady-state turn, in 4 sequential steps: the conversation's acquire, with its record's read,
    # the session's status read from the user's SessionManager (no lease) and, for a keyed turn, the
    # Idempotency-Key's claim there (one conditional PutItem) all beside it, in parallel; the travel
    # agent's acquire; a read of its values; one commit of both (+ a read of a large cached answer now
    # and then). Was 7 steps, 9 requests, 28 WCU, 5 RCU with the claim as a SessionManager turn and
    # the status read after the acquire.
    for variant in ("ours_lambda", "ours_inprocess"):
        assert 4 <= chat[variant]["turn"]["round_trips"] <= 8
        keyed, unkeyed = chat[variant]["meter"], chat[variant]["meter_unkeyed"]
        for meter in (keyed, unkeyed):
            assert meter["steps"]["median"] <= 4 and meter["steps"]["max"] <= 5, meter["per_turn"]
            assert meter["rcu"]["median"] <= 4, meter["per_turn"]
        assert keyed["wcu"]["median"] <= 25 and unkeyed["wcu"]["median"] <= 24, (keyed, unkeyed)
        assert keyed["requests"]["median"] == unkeyed["requests"]["median"] + 1  # the claim: one PutItem
    assert chat["mismatched_sessions"] == 0
    sane_latency(chat["http"])


@pytest.mark.slow
def test_the_cold_start_section(report: dict[str, Any]) -> None:
    cold = report["cold_start"]
    for function in ("api", "object_host", "reaper", "alarm_sweeper"):
        result = cold[function]
        assert "error" not in result, result
        assert result["cpu_ms"] > 0 and result["baseline_cpu_ms"] > 0
        # the ready ratio (import + the first client) is never below the import's
        assert 0 < result["import_ratio"] <= result["cpu_ratio"]
        assert (
            result["import_ms"] > 0 and result["init_ms"] > 0 and result["process_ms"] > result["import_ms"]
        )
        assert 10 < result["maxrss_mb"] < 4096
    assert cold["api_import_ms_by_package"]


@pytest.mark.slow
def test_the_report_has_every_section_and_the_machine(report: dict[str, Any]) -> None:
    markdown = report["_markdown"]
    for heading in (
        "## Targets (issues 8 and 9)",
        "## Runtime: one counter turn",
        "## /chat: one turn",
        "## Cold start",
    ):
        assert heading in markdown
    for row in (
        "WCU · RCU · requests · steps per turn",
        "latency p50 / p95 / p99",
        "turns/s, 32 concurrent sessions",
        "contention:",
        "history 20,000",
        "turn 100 of one conversation",
        "Through the HTTP gateway",
        "| api |",
        "| object_host |",
        "| reaper |",
        "noisy",
    ):
        assert row in markdown, row
    meta = report["meta"]
    assert (
        meta["quick"] is True
        and meta["cpus"] >= 1
        and meta["cpu_model"]
        and meta["moto"]
        and meta["seconds"] > 0
    )
    assert all(report["ratios"][key] for key in ("runtime_p50_latency", "chat_p50_latency"))


# --- the committed report and the README ------------------------------------------------------------------


def test_the_readme_shows_the_committed_report() -> None:
    committed = json.loads(COMMITTED.read_text())
    readme = (ROOT / "README.md").read_text()
    assert bench_report.section_of(readme) == bench_report.readme_section(committed), (
        "the README's benchmark table differs from benchmarks/report.json: run `make bench-publish`"
    )
    assert (ROOT / "benchmarks" / "report.md").read_text() == bench_report.build_markdown(committed)


def test_the_committed_report_is_a_full_run_that_meets_the_targets() -> None:
    committed = json.loads(COMMITTED.read_text())
    meta = committed["meta"]
    assert (
        meta["quick"] is False and meta["seconds"] > 0 and meta["cpu_model"] and meta["moto"] and meta["when"]
    )
    assert committed["config"]["contention_increments"] >= 50
    assert committed["targets"] == bench_report.targets(committed)  # the rows follow from its figures
    assert all(row["ok"] for row in committed["targets"])
