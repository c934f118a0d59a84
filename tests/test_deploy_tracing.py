"""Tracing as a choice: off, nothing of X-Ray is imported; on, traces hold no chat text and only botocore
is patched. Each case runs in a process of its own (the X-Ray SDK's recorder is process-wide), as a
Lambda invocation with a trace header, sending to a UDP socket of the test's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECRET = "SECRET-CHAT-TEXT Plan a trip to Paris"

LAMBDA_CONTEXT = """
class Context:
    function_name = "da-test-api"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:da-test-api"
    aws_request_id = "request-1"
    log_group_name = "/aws/lambda/da-test-api"
    log_stream_name = "stream"

    @staticmethod
    def get_remaining_time_in_millis():
        return 29000
"""


@pytest.fixture
def daemon() -> Iterator[socket.socket]:
    """A stand-in X-Ray daemon: a UDP socket on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        yield udp


def run_in_lambda(
    code: str, daemon: socket.socket, tmp_path: Path, **environment: str
) -> tuple[str, list[str]]:
    """Run ``code`` as a Lambda invocation with a sampled trace; its output and the segments it sent."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT / "shared"),
        "LAMBDA_TASK_ROOT": str(tmp_path),
        "AWS_LAMBDA_FUNCTION_NAME": "da-test-api",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "_X_AMZN_TRACE_ID": "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "STATE_TABLE": "da-test-StateTable",
        "POWERTOOLS_SERVICE_NAME": "durable-agents",
        "POWERTOOLS_METRICS_NAMESPACE": "DurableAgents",
        **environment,
    }
    completed = subprocess.run(
        [sys.executable, "-c", LAMBDA_CONTEXT + textwrap.dedent(code)],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    daemon.setblocking(False)
    segments = []
    while True:
        try:
            segments.append(daemon.recv(65536).decode().split("\n", 1)[-1])
        except BlockingIOError:
            return completed.stdout, segments


HEALTH_REQUEST = """
import json, os, sys
from durable_agents.api.app import handler
response = handler(json.load(open(os.environ["EVENT_FILE"])), Context())
print(json.dumps({"status": response["statusCode"], "xray": sorted(m for m in sys.modules if "xray" in m)}))
"""
HEALTH_EVENT = str(ROOT / "events" / "api_health.json")


def test_with_tracing_off_the_api_imports_nothing_of_x_ray(daemon: socket.socket, tmp_path: Path) -> None:
    output, segments = run_in_lambda(
        HEALTH_REQUEST, daemon, tmp_path, TRACING_ENABLED="false", EVENT_FILE=HEALTH_EVENT
    )
    assert json.loads(output.splitlines()[-1]) == {"status": 200, "xray": []}
    assert segments == []


def test_with_tracing_on_the_api_handler_is_traced(daemon: socket.socket, tmp_path: Path) -> None:
    output, segments = run_in_lambda(
        HEALTH_REQUEST, daemon, tmp_path, TRACING_ENABLED="true", EVENT_FILE=HEALTH_EVENT
    )
    outcome = json.loads(output.splitlines()[-1])
    assert outcome["status"] == 200 and "aws_xray_sdk" in outcome["xray"]
    assert any('"name": "## _handle"' in segment for segment in segments), segments


TRACED_HANDLER = f"""
import json
from aws_xray_sdk.core import patcher

def handler(event, context):
    raise_it = event.get("raise")
    if raise_it:
        raise ValueError({SECRET!r})
    return {{"statusCode": 200, "body": json.dumps({{"reply": {SECRET!r}}})}}
"""


@pytest.mark.parametrize(
    "wrap",
    [
        "from durable_agents.api.tracing import traced\nwrapped = traced(handler)",
        # the control: Powertools' defaults record the response (and the error), chat text and all
        "from aws_lambda_powertools import Tracer\nwrapped = Tracer().capture_lambda_handler(handler)",
    ],
    ids=["ours", "powertools-defaults"],
)
def test_traces_hold_no_response_and_only_botocore_is_patched(
    daemon: socket.socket, tmp_path: Path, wrap: str
) -> None:
    output, segments = run_in_lambda(
        TRACED_HANDLER
        + wrap
        + """
wrapped({}, Context())
try:
    wrapped({"raise": True}, Context())
except ValueError:
    pass
print(json.dumps(sorted(patcher._PATCHED_MODULES)))
""",
        daemon,
        tmp_path,
    )
    ours = "traced(" in wrap
    assert segments, "no segment reached the daemon"
    leaked = [segment for segment in segments if "SECRET-CHAT-TEXT" in segment]
    assert (leaked == []) is ours, leaked
    patched = json.loads(output.splitlines()[-1])
    assert (patched == ["botocore"]) is ours, patched
