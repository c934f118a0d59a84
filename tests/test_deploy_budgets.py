"""Time limits that nest: a round of tool calls never outlives the Lambda invocation it runs in."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pydantic import BaseModel

from durable_agents.runtime import lambda_invocation
from durable_agents.tools import Tool, ToolRegistry
from durable_agents.tools.models import Reply, Source
from durable_agents.tools.registry import ANSWER_RESERVE_SECONDS


class Params(BaseModel):
    text: str


class Data(BaseModel):
    echo: str


class Context:
    """A Lambda context with a fixed amount of time left."""

    aws_request_id = "request-1"

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def released() -> Any:
    event = threading.Event()
    yield event
    event.set()  # let the abandoned provider finish


def registry(released: threading.Event) -> ToolRegistry:
    def hangs(params: Params) -> Reply:
        released.wait(30)
        return Reply(data=Data(echo=params.text), source=Source(name="test", offline=True))

    def quick(params: Params) -> Reply:
        return Reply(data=Data(echo=params.text), source=Source(name="test", offline=True))

    return ToolRegistry([Tool("hangs", "h", Params, Data, hangs), Tool("quick", "q", Params, Data, quick)])


def test_a_round_with_one_second_left_is_cut_at_that_second(released: threading.Event) -> None:
    tools = registry(released)
    with lambda_invocation(Context(remaining_ms=1_000)):
        started = time.monotonic()
        hung, quick = tools.run_parallel([("hangs", {"text": "a"}), ("quick", {"text": "b"})], timeout=4)
        elapsed = time.monotonic() - started
    assert 1.0 - ANSWER_RESERVE_SECONDS - 0.05 <= elapsed < 1.0, elapsed  # not the tool timeout's 4 s
    assert (
        not hung.ok and hung.error is not None and hung.error.startswith("timed out after 0.7")
    )  # 1 s less the reserve
    assert quick.ok and quick.data == {"echo": "b"}


def test_outside_an_invocation_the_round_gets_its_whole_timeout(released: threading.Event) -> None:
    started = time.monotonic()
    [hung] = registry(released).run_parallel([("hangs", {"text": "a"})], timeout=0.6)
    assert time.monotonic() - started >= 0.6
    assert hung.error == "timed out after 0.6s"


def test_with_no_time_left_no_tool_is_started(released: threading.Event) -> None:
    with lambda_invocation(Context(remaining_ms=200)):
        results = registry(released).run_parallel(
            [("hangs", {"text": "a"}), ("quick", {"text": "b"}), ("quick", {})], timeout=4
        )
    assert [result.error for result in results] == [
        "no time left in this invocation",
        "no time left in this invocation",
        "invalid arguments for quick: text: Field required",
    ]
