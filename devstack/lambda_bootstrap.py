"""The deploy check's stand-in for Lambda's Python runtime: one invocation of one handler, in a process
of its own, under a Python that has only the built layer and boto3 (standard library only here).

``python -P lambda_bootstrap.py MODULE.FUNCTION RESULT_FILE`` reads the event (JSON) from standard input,
imports the handler the way Lambda does (``LAMBDA_TASK_ROOT`` and the layer come from ``PYTHONPATH``),
calls it with a context built from Lambda's environment variables, and writes a JSON report to
RESULT_FILE::

    {"result": <what the handler returned>}                   or
    {"error": {"errorType", "errorMessage", "stackTrace"}}    (Lambda's error payload)
    + "importCpuSeconds": CPU time of importing the handler module
      "devPackages": the dev-only packages this process could import (the check wants none)
      "boto3": where boto3 came from;  "xray": whether the X-Ray SDK was imported by the end

``DEPLOY_CHECK_CLOCK_OFFSET_SECONDS``, when set, moves the runtime's clock (``durable_agents.runtime.clock``)
that far ahead once the handler is imported: the check's way of letting a day pass for an alarm.

``python -P lambda_bootstrap.py --baseline RESULT_FILE`` instead reports the CPU time of ``import boto3``
plus one client, the yardstick of a handler's import.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import resource
import sys
import time
import traceback
import uuid
from typing import Any

DEV_PACKAGES = (
    "moto",
    "pytest",
    "yaml",
    "werkzeug",
    "flask",
    "responses",
    "selenium",
    "airportsdata",
    "devstack",
)


class LambdaContext:
    """What the Lambda Python runtime passes as ``context`` (the documented attributes)."""

    def __init__(self, deadline_ms: int) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.invoked_function_arn = os.environ["DEPLOY_CHECK_FUNCTION_ARN"]
        self.aws_request_id = str(uuid.uuid4())
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def invoke(handler_name: str) -> dict[str, Any]:
    deadline_ms = int(os.environ["DEPLOY_CHECK_DEADLINE_MS"])
    event = json.load(sys.stdin)
    module_name, _, function_name = handler_name.rpartition(".")
    report: dict[str, Any] = {}
    started = cpu_seconds()
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        report["importCpuSeconds"] = cpu_seconds() - started
        offset = float(os.environ.get("DEPLOY_CHECK_CLOCK_OFFSET_SECONDS") or 0)
        if offset:
            from durable_agents.runtime import clock

            clock.source = lambda: time.time() + offset
        report["result"] = handler(event, LambdaContext(deadline_ms))
    except Exception as error:
        report["error"] = {
            "errorType": type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_exception(error),
        }
    return report


def baseline() -> dict[str, Any]:
    started = cpu_seconds()
    import boto3

    boto3.client("dynamodb")
    return {"result": None, "importCpuSeconds": cpu_seconds() - started}


def main() -> None:
    target, result_file = sys.argv[1], sys.argv[2]
    report = baseline() if target == "--baseline" else invoke(target)
    spec = importlib.util.find_spec("boto3")
    report["boto3"] = spec.origin if spec is not None else None
    report["devPackages"] = [name for name in DEV_PACKAGES if importlib.util.find_spec(name) is not None]
    report["xray"] = "aws_xray_sdk" in sys.modules
    with open(result_file, "w", encoding="utf-8") as stream:
        json.dump(report, stream, default=str)


if __name__ == "__main__":
    main()
