"""``python -m devstack.deploy_check`` (``make deploy-check``): the functions as AWS Lambda would run them.

The local stack runs the handlers in the dev venv, where moto's dependencies (the X-Ray SDK among them)
are importable: it cannot tell whether a function starts with nothing but what ``sam build`` ships. This
check builds that and runs it:

1. **The layer**, as ``sam build`` makes it from ``shared/``: the pinned ``shared/requirements.txt``
   installed (wheels only) by Python 3.13 into ``layer/python`` (Lambda's ``/opt/python``), the package
   copied beside it without bytecode (``/opt`` is read-only in Lambda). Every installed distribution must
   be pinned. Built for this machine's architecture, to run here: the deployed layer is arm64, with the
   same versions.
2. **The runtime**: a fresh Python 3.13 venv with nothing but a boto3 like the runtime's.
3. **AWS**, in this process and never in a handler's: moto's server with the template's resources (as
   the local stack creates them), Lambda's Invoke API (so the API function's object calls reach an object
   host process of their own), and an X-Ray daemon that keeps what it is sent.
4. **Each function**: its handler imported and one sample event from ``events/`` run through it, in a
   process of its own (:mod:`devstack.lambda_bootstrap`), with Lambda's environment: the template's for
   that function (TRUST_CLIENT_IDENTITY "false" included) plus what Lambda sets. The alarm sweeper's
   case first sets a price watch through the object host, then runs a day later (the runtime's clock
   moved in the handler processes): the sweeper must fire it, as an asynchronous invoke the host runs.

In every handler process: no dev package is importable, boto3 is the layer's, and the X-Ray SDK is
imported only when tracing is on; with tracing on, the API's trace segments hold no chat text. The
handlers' import CPU times are printed against ``import boto3`` plus one client (single runs: a hint, not
a benchmark). Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from devstack.moto_stack import LocalStack, start_local_stack
from devstack.template import LocalValues, SamTemplate

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"
LOCK = SHARED / "requirements.txt"
EVENTS = ROOT / "events"
BOOTSTRAP = Path(__file__).resolve().with_name("lambda_bootstrap.py")
STACK_NAME = "durable-agents-deploy-check"
RUNTIME_BOTO3 = "boto3>=1.35,<1.41"
"""An SDK older than the layer's, as Lambda's runtime has (it updates its own on its own schedule)."""
CHAT_TEXT = "Plan a trip to Paris"
"""The message of events/api_chat.json: it must not appear in any trace."""


def log(message: str) -> None:
    print(message, flush=True)


# --- 1 and 2: the layer and the runtime -----------------------------------------------------------------


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    """``{distribution: version}`` of the lock; every line must be an exact pin."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, separator, version = line.partition("==")
            if not separator:
                raise SystemExit(f"{LOCK.relative_to(ROOT)}: {line!r} is not pinned (name==version)")
            pins[normalized(name)] = version.strip()
    return pins


def run(command: list[str], **kwargs: Any) -> None:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stdout}{result.stderr}")


def build(python: str, work: Path) -> tuple[Path, Path]:
    """The layer's ``python`` folder and the runtime venv's interpreter (rebuilt when the lock, the Python
    or the runtime's boto3 changed)."""
    layer, venv = work / "layer" / "python", work / "runtime"
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True)
    if version.returncode != 0 or not version.stdout.startswith("3.13"):
        raise SystemExit(f"{python} is not Python 3.13 (Lambda's runtime): {version.stdout}{version.stderr}")
    stamp = hashlib.sha256(f"{LOCK.read_bytes()!r}{version.stdout}{RUNTIME_BOTO3}".encode()).hexdigest()
    stamp_file = work / "built"
    if not stamp_file.exists() or stamp_file.read_text() != stamp:
        shutil.rmtree(work, ignore_errors=True)
        pip = [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--only-binary=:all:",
        ]
        run([*pip, "--target", str(layer), "-r", str(LOCK)])
        run([python, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "python"), *pip[1:], RUNTIME_BOTO3])
        stamp_file.write_text(stamp)
    installed = {normalized(path.name.split("-")[0]) for path in layer.glob("*.dist-info")}
    if installed != set(pinned()):
        raise SystemExit(
            f"the layer's distributions are not the lock's: unpinned {sorted(installed - set(pinned()))}, "
            f"missing {sorted(set(pinned()) - installed)}"
        )
    package = layer / "durable_agents"
    shutil.rmtree(package, ignore_errors=True)
    shutil.copytree(SHARED / "durable_agents", package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return layer, venv / "bin" / "python"


# --- 3: AWS -----------------------------------------------------------------------------------------------


class XRayDaemon:
    """A UDP socket on loopback that keeps every segment document sent to it."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        self.documents: list[str] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="xray-daemon", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stopped.is_set():
            try:
                datagram = self._socket.recv(65536)
            except TimeoutError:
                continue
            self.documents.append(datagram.decode("utf-8", "replace").split("\n", 1)[-1])

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
        self._socket.close()


@dataclass(frozen=True)
class Invocation:
    """What one handler process reported, and what it printed."""

    function: str
    report: dict[str, Any]
    output: str

    @property
    def error(self) -> dict[str, Any] | None:
        error: dict[str, Any] | None = self.report.get("error")
        return error


class Lambda:
    """Runs a function's handler the way Lambda would, one process per invocation."""

    def __init__(
        self, template: SamTemplate, layer: Path, python: Path, work: Path, stack: LocalStack
    ) -> None:
        self.template, self.layer, self.python, self.stack = template, layer, python, stack
        self.work = work
        self.tracing = False
        self.clock_offset_seconds = 0.0
        """How far ahead the runtime's clock runs in every handler process (time moved for alarms)."""
        self.xray = XRayDaemon()
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._values = {
            tracing: template.local_values(
                stack_name=STACK_NAME,
                region=stack.values.region,
                account_id=stack.values.account_id,
                parameters={"Tracing": "Active" if tracing else "Disabled"},
            )
            for tracing in (False, True)
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._invoke_handler())
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="lambda-invoke", daemon=True).start()
        for logical_id, spec in template.functions.items():
            task = work / "task" / logical_id
            shutil.rmtree(task, ignore_errors=True)
            shutil.copytree(spec.code_uri, task, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    @property
    def values(self) -> LocalValues:
        return self._values[self.tracing]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.xray.stop()

    def environment(self, logical_id: str) -> dict[str, str]:
        """Lambda's environment for ``logical_id``: the template's, what Lambda adds, and where this
        check's AWS is (the endpoints, fake credentials, no metadata service, no shared config)."""
        spec, values = self.template.functions[logical_id], self.values
        name, task = values.refs[logical_id], self.work / "task" / logical_id
        environment = {
            "PATH": "/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            **self.template.resolve_environment(values, logical_id),
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_REGION": values.region,
            "AWS_DEFAULT_REGION": values.region,
            "LAMBDA_TASK_ROOT": str(task),
            "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
            "_HANDLER": spec.handler,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_ENDPOINT_URL": str(self.stack.endpoint_url),
            "AWS_ENDPOINT_URL_LAMBDA": self.endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": f"{task}{os.pathsep}{self.layer}",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DEPLOY_CHECK_FUNCTION_ARN": values.attributes[f"{logical_id}.Arn"],
            "DEPLOY_CHECK_DEADLINE_MS": str(int((time.time() + spec.timeout) * 1000)),
        }
        if self.clock_offset_seconds:
            environment["DEPLOY_CHECK_CLOCK_OFFSET_SECONDS"] = str(self.clock_offset_seconds)
        if self.tracing:
            trace_id = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
            environment["_X_AMZN_TRACE_ID"] = f"Root={trace_id};Parent={uuid.uuid4().hex[:16]};Sampled=1"
            environment["AWS_XRAY_DAEMON_ADDRESS"] = self.xray.address
            environment["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR"
        return environment

    def invoke(self, logical_id: str, event: Any, target: str | None = None) -> Invocation:
        """One invocation of ``logical_id`` with ``event`` (``target="--baseline"``: the yardstick)."""
        spec = self.template.functions[logical_id]
        with tempfile.NamedTemporaryFile(suffix=".json") as result:
            completed = subprocess.run(
                [str(self.python), "-P", str(BOOTSTRAP), target or spec.handler, result.name],
                input=json.dumps(event),
                capture_output=True,
                text=True,
                env=self.environment(logical_id),
                cwd=self.work / "task" / logical_id,
                timeout=spec.timeout + 30,
            )
            text = Path(result.name).read_text(encoding="utf-8")
        output = completed.stdout + completed.stderr
        report = (
            json.loads(text) if text else {"error": {"errorType": "Crashed", "errorMessage": output[-2000:]}}
        )
        invocation = Invocation(logical_id, report, output)
        if target is None:
            with self._lock:
                self.invocations.append(invocation)
        return invocation

    def _invoke_handler(self) -> type[BaseHTTPRequestHandler]:
        check = self

        class InvokeApi(BaseHTTPRequestHandler):
            """``POST /2015-03-31/functions/{name}/invocations``, as Lambda answers it (an asynchronous
            invoke, ``X-Amz-Invocation-Type: Event``, is run before its 202 is sent, so a case sees it)."""

            def do_POST(self) -> None:  # noqa: N802 (the http.server API)
                match = re.fullmatch(r"/2015-03-31/functions/([^/]+)/invocations", urlparse(self.path).path)
                functions = {name: logical_id for logical_id, name in check.values.refs.items()}
                name = unquote(match.group(1)).rsplit(":function:", 1)[-1] if match else ""
                if name not in functions:
                    self._answer(404, {"Type": "User", "message": f"Function not found: {name}"}, {})
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                invocation = check.invoke(functions[name], json.loads(body or b"null"))
                if self.headers.get("X-Amz-Invocation-Type") == "Event":
                    self._answer(202, None, {})
                    return
                headers = {"X-Amz-Executed-Version": "$LATEST"}
                if invocation.error is not None:
                    headers["X-Amz-Function-Error"] = "Unhandled"
                    self._answer(200, invocation.error, headers)
                else:
                    self._answer(200, invocation.report.get("result"), headers)

            def _answer(self, status: int, payload: Any, headers: dict[str, str]) -> None:
                data = b"" if status == 202 else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the http.server API)
                """Quiet: the check prints its own report."""

        return InvokeApi


@contextmanager
def aws(template: SamTemplate, layer: Path, python: Path, work: Path) -> Iterator[Lambda]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server: one line per request
    stack = start_local_stack(server=True, template=template, stack_name=STACK_NAME)
    try:
        functions = Lambda(template, layer, python, work, stack)
        try:
            yield functions
        finally:
            functions.stop()
    finally:
        stack.stop()


# --- 4: the functions, one sample event each --------------------------------------------------------------

Expect = Callable[[Any], str | None]
"""A handler result's check: ``None`` when it is what it should be, else what is wrong."""


def http(
    status: int, check: Callable[[dict[str, Any], dict[str, Any]], bool] = lambda body, headers: True
) -> Expect:
    def expect(result: Any) -> str | None:
        if not isinstance(result, dict) or result.get("statusCode") != status:
            return f"expected HTTP {status}, got {str(result)[:300]}"
        headers = {key.lower(): values[0] for key, values in (result.get("multiValueHeaders") or {}).items()}
        headers |= {key.lower(): value for key, value in (result.get("headers") or {}).items()}
        try:
            body = json.loads(result["body"]) if "json" in headers.get("content-type", "") else {}
            if check(body, headers):
                return None
        except (KeyError, TypeError, ValueError):
            pass
        return f"unexpected response: {str(result)[:300]}"

    return expect


def equals(expected: Any) -> Expect:
    return lambda result: None if result == expected else f"expected {expected}, got {str(result)[:300]}"


@dataclass(frozen=True)
class Case:
    name: str
    function: str
    event: str
    expect: Expect
    tracing: bool = False
    anonymous: bool = False
    before: tuple[str, str] | None = None
    """``(function, event)`` invoked first, to set the scene (it must succeed)."""
    clock_offset_seconds: float = 0.0
    """Run the case's function (and what it invokes) this far in the future."""
    invokes: tuple[str, Expect] | None = None
    """A function the case's function must invoke, and what that invocation must return."""
    alone: bool = False
    """The case's function must invoke no other (a turn runs in one invocation)."""
    raises: str | None = None
    """The error message the function must raise (an authorizer's ``Unauthorized``)."""

    def load_event(self) -> Any:
        event = json.loads((EVENTS / f"{self.event}.json").read_text(encoding="utf-8"))
        if self.anonymous:
            event["requestContext"].pop("authorizer", None)
        return event


CASES = [
    Case("health", "ApiFunction", "api_health", http(200, lambda body, _: body.get("status") == "healthy")),
    Case(
        "chat page",
        "ApiFunction",
        "api_page",
        http(200, lambda _, headers: "text/html" in headers.get("content-type", "")),
    ),
    Case(
        "chat without identity: 401",
        "ApiFunction",
        "api_chat",
        http(401, lambda body, _: body["error"]["code"] == "unauthorized"),
        anonymous=True,
    ),
    Case(
        "chat (traced), in this one invocation",
        "ApiFunction",
        "api_chat",
        http(200, lambda body, _: bool(body.get("sessionId"))),
        tracing=True,
        alone=True,
    ),
    Case(
        "object host: a travel agent turn",
        "ObjectHostFunction",
        "object_host_message",
        lambda result: None if isinstance(result, dict) else f"unexpected result {str(result)[:300]}",
    ),
    Case(
        "reaper: a purge marker", "ReaperFunction", "reaper_purge_insert", equals({"batchItemFailures": []})
    ),
    Case(
        "alarm sweeper: a price watch a day later, fired through the object host",
        "AlarmSweeperFunction",
        "alarm_sweeper_tick",
        equals({"fired": 1}),
        before=("ObjectHostFunction", "object_host_price_watch"),
        clock_offset_seconds=86_400 + 60,
        invokes=("ObjectHostFunction", equals({"alarm": "fired"})),
    ),
    Case(
        "socket $connect with the authorizer's identity",
        "LiveFunction",
        "live_connect",
        equals({"statusCode": 200}),
    ),
    Case(
        "socket $connect without identity: 401",
        "LiveFunction",
        "live_connect",
        equals({"statusCode": 401}),
        anonymous=True,
    ),
    Case(
        "socket chat turn, in this one invocation",
        "LiveFunction",
        "live_chat",
        equals({"statusCode": 200}),
        alone=True,
    ),
    Case("socket $disconnect", "LiveFunction", "live_disconnect", equals({"statusCode": 200})),
    Case(
        "socket authorizer: a token that is not a JWT is refused",
        "LiveAuthorizerFunction",
        "live_authorizer_bad_token",
        equals(None),
        raises="Unauthorized",
    ),
]


def process_problems(invocation: Invocation, layer: Path, tracing: bool) -> list[str]:
    """What is wrong with the handler process itself, whatever it answered."""
    report, problems = invocation.report, []
    if report.get("devPackages"):
        problems.append(f"{invocation.function} could import dev packages: {report['devPackages']}")
    if not str(report.get("boto3")).startswith(str(layer)):
        problems.append(f"{invocation.function} imported boto3 from {report.get('boto3')}, not the layer")
    if report.get("xray") and not tracing:
        problems.append(f"{invocation.function} imported the X-Ray SDK with tracing off")
    return problems


def run_cases(functions: Lambda, layer: Path) -> list[str]:
    problems: list[str] = []
    for case in CASES:
        functions.tracing = case.tracing
        started = time.monotonic()
        found: list[str] = []
        if case.before is not None:
            function, event = case.before
            scene = functions.invoke(function, json.loads((EVENTS / f"{event}.json").read_text("utf-8")))
            if scene.error is not None:
                found.append(
                    f"{function} ({event}) raised {scene.error['errorType']}: {scene.error['errorMessage']}"
                )
        functions.clock_offset_seconds = case.clock_offset_seconds
        before = len(functions.invocations)
        try:
            invocation = functions.invoke(case.function, case.load_event())
        finally:
            functions.clock_offset_seconds = 0.0
        nested = functions.invocations[before:-1]
        if case.raises is not None:
            message = (invocation.error or {}).get("errorMessage")
            if message != case.raises:
                found.append(f"{case.function} should raise {case.raises!r}, got {message!r}")
        elif invocation.error:
            error = invocation.error
            found.append(f"{case.function} raised {error['errorType']}: {error['errorMessage']}")
        else:
            found += [problem for problem in [case.expect(invocation.report.get("result"))] if problem]
        if case.alone and nested:
            found.append(
                f"one turn took {1 + len(nested)} invocations: "
                + ", ".join(call.function for call in [invocation, *nested])
            )
        if case.invokes is not None:
            function, expect = case.invokes
            results = [call.report.get("result") for call in nested if call.function == function]
            if not results:
                found.append(f"{case.function} never invoked {function}")
            found += [f"{function} (invoked): {problem}" for problem in map(expect, results) if problem]
        for call in [invocation, *nested]:
            found += process_problems(call, layer, case.tracing)
            if call.error is not None and call is not invocation:
                error = call.error
                found.append(
                    f"{call.function} (invoked) raised {error['errorType']}: {error['errorMessage']}"
                )
        if case.tracing:
            found += trace_problems(functions.xray.documents, invocation)
        hops = "".join(f" -> {call.function}" for call in nested)
        verdict = "FAIL" if found else "ok  "
        log(f"  {verdict} {case.name}: {case.function}{hops} ({time.monotonic() - started:.1f} s)")
        for problem in found:
            log(f"       {problem}")
        if found and invocation.output:
            log("       output: " + invocation.output[-1500:].replace("\n", "\n       "))
        problems += found
    return problems


def trace_problems(documents: list[str], invocation: Invocation) -> list[str]:
    """With tracing on: the API sent segments (the Tracer ran) and none holds the chat's text."""
    if not invocation.report.get("xray"):
        return ["tracing is on but the API function did not import the X-Ray SDK"]
    if not documents:
        return ["tracing is on but no trace segment reached the X-Ray daemon"]
    body = json.loads((invocation.report.get("result") or {}).get("body") or "{}")
    texts = [CHAT_TEXT, *(value for value in body.values() if isinstance(value, str) and len(value) > 12)]
    leaked = [text for text in texts if any(text in document for document in documents)]
    return [f"chat text in a trace segment: {text[:60]!r}" for text in leaked]


def cold_imports(functions: Lambda) -> None:
    """The handlers' import CPU (from the runs above) against ``import boto3`` + one client, in the
    same clean environment (single runs; quote a benchmark's medians instead)."""
    functions.tracing = False
    baseline = functions.invoke("ApiFunction", None, target="--baseline").report["importCpuSeconds"]
    log(f"  import boto3 + one client: {baseline:.3f} s CPU")
    for logical_id in functions.template.functions:
        seconds = [
            call.report["importCpuSeconds"]
            for call in functions.invocations
            if call.function == logical_id and "importCpuSeconds" in call.report
        ]
        if seconds:
            log(f"  {logical_id} handler import: {min(seconds):.3f} s CPU ({min(seconds) / baseline:.2f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.deploy_check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--python", default="python3.13", help="a Python 3.13 interpreter (default: python3.13)"
    )
    parser.add_argument(
        "--work", default=str(ROOT / ".deploy-check"), help="build folder (kept between runs)"
    )
    args = parser.parse_args()
    started = time.monotonic()
    template = SamTemplate.load()
    layer, python = build(args.python, Path(args.work).resolve())
    log(f"layer and runtime: built ({time.monotonic() - started:.1f} s); the functions, as Lambda runs them:")
    with aws(template, layer, python, Path(args.work).resolve()) as functions:
        problems = run_cases(functions, layer)
        cold_imports(functions)
    log(f"deploy check: {'FAILED' if problems else 'passed'} in {time.monotonic() - started:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
