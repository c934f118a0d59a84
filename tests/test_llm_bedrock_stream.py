"""Bedrock's ConverseStream while a live client watches a turn: each text delta is posted as it comes
(provisional ``text`` events) and the answer is their whole; without a watcher, plain Converse.

botocore's Stubber cannot stub an event stream (it validates the response as a structure), so the
bedrock-runtime client's transport is stubbed instead: a ``before-send`` handler answers with a real
``application/vnd.amazon.eventstream`` body, which botocore parses as it would AWS's."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import ANY, Stubber

from durable_agents.llm.bedrock import BedrockLanguageModel
from durable_agents.llm.models import ComposeRequest, Intent, TravelSlots
from durable_agents.runtime.connections import streaming

MODEL_ID = "anthropic.claude-3-5-haiku-20241022-v1:0"


def _header(name: str, value: str) -> bytes:
    encoded = value.encode()
    return bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(encoded)) + encoded


def event_message(event_type: str, payload: dict[str, Any], *, exception: bool = False) -> bytes:
    """One event-stream message (prelude, headers, JSON payload, CRCs), as AWS sends it."""
    kind = ":exception-type" if exception else ":event-type"
    headers = (
        _header(kind, event_type)
        + _header(":content-type", "application/json")
        + _header(":message-type", "exception" if exception else "event")
    )
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


class _Raw:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, amt: int = 1024, decode_content: bool = False) -> Iterator[bytes]:
        for start in range(0, len(self._data), 7):  # arrives in small pieces, as over a network
            yield self._data[start : start + 7]

    def read(self, amt: int | None = None) -> bytes:
        return self._data


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def answer_stream(client: Any, deltas: list[str], sent: list[dict[str, Any]]) -> None:
    body = event_message("messageStart", {"role": "assistant"})
    for delta in deltas:
        body += event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": delta}})
    body += event_message("contentBlockStop", {"contentBlockIndex": 0})
    body += event_message("messageStop", {"stopReason": "end_turn"})

    def respond(request: Any, **_: Any) -> AWSResponse:
        sent.append(json.loads(request.body))
        headers = {"content-type": "application/vnd.amazon.eventstream"}
        return AWSResponse(request.url, 200, headers, _Raw(body))

    client.meta.events.register("before-send.bedrock-runtime.ConverseStream", respond)


def request() -> ComposeRequest:
    return ComposeRequest(message="Plan a trip to Rome", intent=Intent.PLAN_TRIP, slots=TravelSlots())


def test_with_a_live_client_the_answer_is_streamed_delta_by_delta(client: Any) -> None:
    sent: list[dict[str, Any]] = []
    answer_stream(client, ["Rome ", "in May: ", "mild and sunny."], sent)
    model = BedrockLanguageModel(MODEL_ID, client=client, time_left=lambda: 20.0)
    parts: list[dict[str, Any]] = []
    with streaming(parts.append):
        text = model.compose(request())
    assert text == "Rome in May: mild and sunny."
    assert parts == [
        {"type": "text", "text": "Rome "},
        {"type": "text", "text": "in May: "},
        {"type": "text", "text": "mild and sunny."},
    ]
    assert sent and sent[0]["inferenceConfig"]["maxTokens"] == 1024


def test_without_a_live_client_it_is_one_converse_call(client: Any) -> None:
    model = BedrockLanguageModel(MODEL_ID, client=client, time_left=lambda: 20.0)
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "Rome in May."}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
                "metrics": {"latencyMs": 1},
            },
            {"modelId": MODEL_ID, "system": ANY, "messages": ANY, "inferenceConfig": ANY},
        )
        assert model.compose(request()) == "Rome in May."
        stub.assert_no_pending_responses()


def test_a_stream_that_fails_midway_falls_back_to_the_embedded_engine(client: Any) -> None:
    body = event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Ro"}})
    body += event_message("modelStreamErrorException", {"message": "boom"}, exception=True)

    def respond(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(
            request.url, 200, {"content-type": "application/vnd.amazon.eventstream"}, _Raw(body)
        )

    client.meta.events.register("before-send.bedrock-runtime.ConverseStream", respond)
    model = BedrockLanguageModel(MODEL_ID, client=client, time_left=lambda: 20.0)
    parts: list[dict[str, Any]] = []
    with streaming(parts.append):
        text = model.compose(request())
    assert parts == [{"type": "text", "text": "Ro"}]  # streamed, then replaced by the committed answer
    assert text and text != "Ro"  # the embedded engine's answer
