"""The benchmark (``make bench``) in its quick mode: every section is there and the values are sane.

Timings are never asserted (they depend on the machine); counts are: a runtime turn is two DynamoDB
round trips, ours never loses an update under contention, and the naive store is a real baseline.
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

ROOT = Path(__file__).resolve().parent.parent


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
    assert completed.returncode == 0, completed.stderr[-3000:]
    markdown = (out / "report.md").read_text()
    assert completed.stdout.strip().endswith(markdown.strip().splitlines()[-1])  # the Markdown is printed
    data = json.loads((out / "report.json").read_text())
    data["_markdown"] = markdown
    return data


def sane_latency(result: dict[str, Any]) -> None:
    assert result["n"] > 0
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert math.isfinite(result["mean_ms"])


def test_the_runtime_section(report: dict[str, Any]) -> None:
    ours, naive = report["runtime"]["ours"], report["runtime"]["naive"]
    assert ours["turn"]["round_trips"] == 2  # acquire + commit, nothing else
    assert ours["turn"]["calls_per_turn"] == {"TransactWriteItems": 1, "UpdateItem": 1}
    assert naive["turn"]["calls_per_turn"] == {"GetItem": 1, "PutItem": 1}
    for variant in (ours, naive):
        sane_latency(variant["turn"])
        assert set(variant["throughput"]) == {"1", "8", "32"}
        for level, result in variant["throughput"].items():
            assert result["sessions"] == int(level) and result["errors"] == 0
            assert result["turns"] > 0 and result["turns_per_s"] > 0
        assert len(variant["history"]) == 2
        assert variant["tracemalloc_peak_kb"] > 0
    short, long = sorted(ours["history"], key=int)
    assert ours["history"][short]["round_trips"] == ours["history"][long]["round_trips"] == 2  # flat in history
    contention = ours["contention"]
    assert contention["got"] == contention["expected"] == contention["threads"] * contention["increments_each"]
    assert contention["lost_updates"] == 0
    assert naive["contention"]["got"] <= naive["contention"]["expected"]  # (it loses some in a full run)


def test_the_chat_section(report: dict[str, Any]) -> None:
    chat = report["chat"]
    for variant in ("ours_lambda", "ours_inprocess", "naive"):
        result = chat[variant]
        sane_latency(result["turn"])
        assert result["turn"]["round_trips"] >= 2
        assert set(result["throughput"]) == {"1", "8", "32"}
        assert all(level["errors"] == 0 and level["turns_per_s"] > 0 for level in result["throughput"].values())
    assert chat["ours_lambda"]["turn"]["lambda_invokes"] > 0  # as deployed: stub calls are Lambda invokes
    assert chat["ours_inprocess"]["turn"]["lambda_invokes"] == 0
    # per steady-state turn: the conversation's and the travel agent's acquire + commit (+ a read of a
    # large cached answer now and then)
    for variant in ("ours_lambda", "ours_inprocess"):
        assert 4 <= chat[variant]["turn"]["round_trips"] <= 6
    short, long = sorted(chat["ours_inprocess"]["history"], key=int)
    assert chat["ours_inprocess"]["history"][short]["round_trips"] == chat["ours_inprocess"]["history"][long]["round_trips"]
    ours, naive = chat["ours_inprocess"]["contention"], chat["naive"]["contention"]
    assert ours["got"] == ours["expected_history_entries"] and ours["lost_entries"] == 0
    assert naive["got"] <= naive["expected_history_entries"]
    assert chat["mismatched_sessions"] == 0
    sane_latency(chat["http"])


def test_the_cold_start_section(report: dict[str, Any]) -> None:
    cold = report["cold_start"]
    for function in ("api", "object_host", "reaper"):
        result = cold[function]
        assert "error" not in result, result
        assert result["import_ms"] > 0 and result["init_ms"] > 0 and result["process_ms"] > result["import_ms"]
        assert 10 < result["maxrss_mb"] < 4096
    assert cold["api_import_ms_by_package"]


def test_the_report_has_every_section_and_the_ratios(report: dict[str, Any]) -> None:
    markdown = report["_markdown"]
    for heading in ("## Runtime: one counter turn", "## /chat: one turn", "## Cold start"):
        assert heading in markdown
    for row in ("DynamoDB round trips per turn", "latency p50 / p95 / p99", "turns/s, 1 concurrent session",
                "turns/s, 8 concurrent sessions", "turns/s, 32 concurrent sessions", "contention:", "history 10:",
                "tracemalloc peak", "Through the HTTP gateway", "| api |", "| object_host |", "| reaper |"):
        assert row in markdown, row
    ratios = report["ratios"]
    for key in ("runtime_p50_latency", "runtime_throughput_1", "runtime_throughput_8", "runtime_throughput_32",
                "chat_p50_latency", "chat_throughput_1", "chat_throughput_8", "chat_throughput_32"):
        assert ratios[key] is not None and ratios[key] > 0, key
    assert report["meta"]["quick"] is True
