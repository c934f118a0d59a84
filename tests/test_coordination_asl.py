"""The coordination state machine (statemachine/coordinate.asl.json), executed for real by moto.

The object host is replaced by ``tests/fixtures/handlers/object_host.py``, which answers, fails, or
raises ``ObjectBusy`` by method name; the state machine is created from template.yaml exactly as the
local stack creates it. moto sleeps the real retry intervals, so :func:`retry_waits` records them
instead of waiting (the jittered bounds are asserted).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from devstack.lambda_runtime import load_module
from devstack.moto_stack import LocalStack, start_local_stack

ROOT = Path(__file__).resolve().parent.parent
ASL_PATH = ROOT / "statemachine" / "coordinate.asl.json"
FAKE_OBJECT_HOST = Path(__file__).parent / "fixtures" / "handlers" / "object_host.py"
CONVERSATION = {"namespace": "CONVERSATION_MANAGER", "name": "conversation:abc"}
CALL_CHAIN = ["CONVERSATION_MANAGER#conversation:abc"]


@pytest.fixture
def object_host() -> ModuleType:
    """A freshly loaded fake object host (its call log starts empty)."""
    return load_module(FAKE_OBJECT_HOST)


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry waits moto's interpreter asked for, recorded instead of slept."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    waits: list[float] = []
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=waits.append))
    return waits


@pytest.fixture
def stack(object_host: ModuleType, retry_waits: list[float]) -> Iterator[LocalStack]:
    with start_local_stack(server=False, handlers={"ObjectHostFunction": object_host.handler}) as stack:
        yield stack


def task(name: str, method: str, *args: Any) -> dict[str, Any]:
    return {"namespace": "TRAVEL_AGENT", "name": name, "method": method, "args": list(args), "kwargs": {}}


def coordinate(stack: LocalStack, tasks: list[dict[str, Any]], coordination_id: str = "c1") -> dict[str, Any]:
    """Run one coordination to completion; the execution's description."""
    stepfunctions = stack.client("stepfunctions")
    execution = stepfunctions.start_execution(
        stateMachineArn=stack.physical_id("CoordinationStateMachine"),
        input=json.dumps({"coordinationId": coordination_id, "conversation": CONVERSATION, "tasks": tasks}),
    )
    return stack.wait_for_execution(execution["executionArn"])


def calls_to(object_host: ModuleType, name: str) -> list[dict[str, Any]]:
    return [call for call in object_host.CALLS if call["name"] == name]


def test_fan_out_gathers_every_answer_in_task_order(stack: LocalStack, object_host: ModuleType) -> None:
    tasks = [task(f"travel:s{index}", "answer", index) for index in range(6)]

    description = coordinate(stack, tasks)

    assert description["status"] == "SUCCEEDED"
    output = json.loads(description["output"])
    assert output["recorded"] == "c1"
    assert [outcome["task"] for outcome in output["results"]] == tasks
    for index, outcome in enumerate(output["results"]):
        assert outcome["ok"] is True
        assert outcome["result"]["answered"] == f"TRAVEL_AGENT#travel:s{index}"
        assert outcome["result"]["args"] == [index]
        assert outcome["result"]["callChain"] == CALL_CHAIN
        assert 0 < outcome["result"]["remainingMs"] <= 60_000


def test_each_object_gets_the_task_plus_the_conversation_call_chain(
    stack: LocalStack, object_host: ModuleType
) -> None:
    tasks = [
        {
            "namespace": "SCRAPING_AGENT",
            "name": "scraping:t1",
            "method": "answer",
            "args": ["u"],
            "kwargs": {"depth": 1},
        }
    ]

    coordinate(stack, tasks)

    assert calls_to(object_host, "scraping:t1") == [{**tasks[0], "callChain": CALL_CHAIN}]


def test_the_record_step_gets_the_coordination_id_and_all_outcomes(
    stack: LocalStack, object_host: ModuleType
) -> None:
    description = coordinate(stack, [task("travel:a", "answer"), task("travel:b", "explode")], "coord-7")

    (record,) = calls_to(object_host, "conversation:abc")
    assert record["namespace"] == "CONVERSATION_MANAGER"
    assert record["method"] == "record_coordination"
    coordination_id, outcomes = record["args"]
    assert coordination_id == "coord-7"
    assert [outcome["ok"] for outcome in outcomes] == [True, False]
    assert record["kwargs"] == {}
    assert json.loads(description["output"]) == {"recorded": "coord-7", "results": outcomes}


def test_a_busy_object_is_retried_with_jittered_backoff(
    stack: LocalStack, object_host: ModuleType, retry_waits: list[float]
) -> None:
    description = coordinate(stack, [task("travel:busy", "busy_twice")])

    outcome = json.loads(description["output"])["results"][0]
    assert outcome["ok"] is True
    assert outcome["result"]["answered"] == "TRAVEL_AGENT#travel:busy"
    assert len(calls_to(object_host, "travel:busy")) == 3
    # IntervalSeconds 1, BackoffRate 2, JitterStrategy FULL: waits drawn from [0, 1] then [0, 2].
    assert len(retry_waits) == 2
    assert 0 <= retry_waits[0] <= 1
    assert 0 <= retry_waits[1] <= 2


def test_an_object_busy_beyond_max_attempts_is_recorded_as_failed(
    stack: LocalStack, object_host: ModuleType, retry_waits: list[float]
) -> None:
    description = coordinate(stack, [task("travel:stuck", "always_busy"), task("travel:ok", "answer")])

    assert description["status"] == "SUCCEEDED"
    stuck, fine = json.loads(description["output"])["results"]
    assert stuck["ok"] is False
    assert stuck["error"]["type"] == "ObjectBusy"
    assert len(calls_to(object_host, "travel:stuck")) == 1 + 4  # the call and MaxAttempts retries
    assert fine["ok"] is True


def test_a_failed_branch_is_caught_without_failing_the_others(
    stack: LocalStack, object_host: ModuleType, retry_waits: list[float]
) -> None:
    description = coordinate(stack, [task("travel:x", "explode"), task("travel:y", "answer")])

    assert description["status"] == "SUCCEEDED"
    failed, answered = json.loads(description["output"])["results"]
    assert failed["ok"] is False
    assert failed["task"] == task("travel:x", "explode")
    assert failed["error"]["type"] == "ObjectCallError"
    cause = json.loads(failed["error"]["cause"])
    assert cause["errorType"] == "ObjectCallError"
    assert cause["errorMessage"] == "TRAVEL_AGENT#travel:x exploded"
    assert "result" not in failed
    assert answered["ok"] is True
    assert len(calls_to(object_host, "travel:x")) == 1  # ObjectCallError is not retried
    assert retry_waits == []


def test_no_tasks_records_an_empty_coordination(stack: LocalStack, object_host: ModuleType) -> None:
    description = coordinate(stack, [])

    assert json.loads(description["output"]) == {"recorded": "c1", "results": []}


def test_the_sample_input_runs(stack: LocalStack) -> None:
    sample = json.loads((ROOT / "events" / "coordination_input.json").read_text())
    stepfunctions = stack.client("stepfunctions")

    execution = stepfunctions.start_execution(
        stateMachineArn=stack.physical_id("CoordinationStateMachine"), input=json.dumps(sample)
    )
    description = stack.wait_for_execution(execution["executionArn"])

    output = json.loads(description["output"])
    assert output["recorded"] == sample["coordinationId"]
    assert [outcome["task"] for outcome in output["results"]] == sample["tasks"]


def test_definition_retries_and_catches_as_designed() -> None:
    definition = json.loads(ASL_PATH.read_text())
    fan_out = definition["States"][definition["StartAt"]]
    assert fan_out["Type"] == "Map"
    assert fan_out["ItemsPath"] == "$.tasks"
    assert fan_out["MaxConcurrency"] == 5
    call = fan_out["ItemProcessor"]["States"][fan_out["ItemProcessor"]["StartAt"]]
    assert call["Resource"] == "arn:aws:states:::lambda:invoke"
    assert call["Parameters"]["FunctionName"] == "${ObjectHostFunctionArn}"
    assert call["ResultSelector"] == {"ok": True, "result.$": "$.Payload"}
    busy, lambda_errors = call["Retry"]
    assert busy == {
        "ErrorEquals": ["ObjectBusy"],
        "IntervalSeconds": 1,
        "BackoffRate": 2,
        "MaxAttempts": 4,
        "JitterStrategy": "FULL",
    }
    assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "Lambda.SdkClientException"} <= set(
        lambda_errors["ErrorEquals"]
    )
    assert [catcher["ErrorEquals"] for catcher in call["Catch"]] == [["States.ALL"]]
    record = definition["States"][fan_out["Next"]]
    assert record["Parameters"]["Payload"]["method"] == "record_coordination"
    assert record["Parameters"]["FunctionName"] == "${ObjectHostFunctionArn}"
    assert record["End"] is True
