"""The local AWS stack: moto serving what ``template.yaml`` declares, with Lambda run in-process.

:func:`start_local_stack` creates, from the template, the DynamoDB tables (with TTL), an IAM role,
the Lambda functions and the state machines (ASL file with its substitutions resolved), on either

* a ``ThreadedMotoServer`` on loopback (``server=True``, what ``make run`` uses: every boto3 client in
  the process reaches it through ``AWS_ENDPOINT_URL``), or
* ``mock_aws`` (``server=False``, for tests: boto3 calls are intercepted in-process, no socket).

moto is configured with ``{"lambda": {"use_docker": false}, "stepfunctions": {"execute_state_machine":
true}}`` so Step Functions executions really run, and DynamoDB requests are made atomic
(:func:`devstack.local_patches.patch_local_stack`). The one seam for Lambda is the docker-less
backend's ``invoke``: an invoke of a template function runs its handler in-process
(:mod:`devstack.lambda_runtime`). A handler that raises answers like Lambda does, with function error
``Unhandled`` and the payload ``{"errorType": "<exception class>", "errorMessage": ...}``; Step
Functions' ``lambda:invoke`` integration then fails the task with error name = ``errorType``, so
``Retry``/``Catch`` on ``ObjectBusy`` behave as in AWS.

Not emulated: the DynamoDB stream -> reaper trigger (invoke the reaper with a sample event instead),
TTL deletion, IAM enforcement, Lambda timeouts and per-function environments (one process env).
"""

from __future__ import annotations

import functools
import io
import json
import os
import socket
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import boto3
from botocore.client import BaseClient

from devstack.lambda_runtime import Handler, LocalFunction
from devstack.local_patches import patch_local_stack
from devstack.template import LOCAL_REGION, LOCAL_STACK_NAME, LocalValues, SamTemplate

MOTO_CONFIG: dict[str, Any] = {
    "lambda": {"use_docker": False},
    "stepfunctions": {"execute_state_machine": True},
}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

# --- The Lambda invoke seam ---------------------------------------------------------------------

_ROUTED: dict[str, LocalFunction] = {}
"""Function name -> the in-process function an invoke of that name runs."""
_ROUTED_LOCK = threading.Lock()


def _bare_function_name(function_name: str) -> str:
    """``name``, ``name:qualifier`` or a (partial) ARN -> ``name``."""
    if function_name.startswith("arn:"):
        return function_name.split(":")[6]
    return function_name.split(":")[0]


def _install_invoke_seam() -> None:
    """Route moto's docker-less Lambda ``invoke`` to in-process handlers (idempotent)."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original = LambdaSimpleBackend.invoke
    if getattr(original, "_devstack_seam", False):
        return

    @functools.wraps(original)
    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> str | bytes | None:
        with _ROUTED_LOCK:
            function = _ROUTED.get(_bare_function_name(function_name))
        if function is None:
            return original(self, function_name, qualifier, body, headers, response_headers)
        invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            threading.Thread(target=function.invoke_payload, args=(body,), daemon=True).start()
            return b""
        result = function.invoke_payload(body)
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        return result.payload

    invoke._devstack_seam = True  # type: ignore[attr-defined]
    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]


def _handler_package(handler: str) -> bytes:
    """A tiny deployment package: moto wants a zip, the code itself runs from the repository."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        module = handler.rpartition(".")[0].replace(".", "/")
        archive.writestr(f"{module}.py", "# runs in-process from the repository (devstack)\n")
    return buffer.getvalue()


# --- The stack ------------------------------------------------------------------------------------


@dataclass
class LocalStack:
    """A running local stack. ``environ`` is what the handlers' process environment must contain."""

    template: SamTemplate
    values: LocalValues
    functions: dict[str, LocalFunction]
    environ: dict[str, str]
    endpoint_url: str | None
    cleanups: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def region(self) -> str:
        return self.values.region

    def physical_id(self, logical_id: str) -> str:
        """What ``Ref`` gives for a template resource: a table or function name, a state machine ARN."""
        return self.values.refs[logical_id]

    def client(self, service: str) -> BaseClient:
        """A boto3 client for this stack (works whether or not ``environ`` was applied)."""
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def wait_for_execution(
        self, execution_arn: str, *, timeout: float = 10.0, poll_seconds: float = 0.01
    ) -> dict[str, Any]:
        """Poll ``DescribeExecution`` until the execution leaves RUNNING; its description."""
        stepfunctions = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            description: dict[str, Any] = stepfunctions.describe_execution(executionArn=execution_arn)
            if description["status"] != "RUNNING":
                return description
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still RUNNING after {timeout} s")
            time.sleep(poll_seconds)

    def stop(self) -> None:
        """Unroute the functions and stop moto (server mode: reset and shut the server down)."""
        while self.cleanups:
            self.cleanups.pop()()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _post_json(url: str, body: Mapping[str, Any]) -> None:
    request = urllib.request.Request(  # http://127.0.0.1: our own moto server
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def _start_server(host: str, port: int, cleanups: list[Callable[[], None]]) -> str:
    """Start a ThreadedMotoServer configured for the local stack; its URL."""
    from moto.core.config import default_user_config
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=host, port=port or _free_port(host), verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    url = f"http://{bound_host}:{bound_port}"
    previous_config = {key: default_user_config.get(key, {}) for key in MOTO_CONFIG}
    previous_moto_port = os.environ.get("MOTO_PORT")
    # moto's Step Functions reach Lambda through a client for http://localhost:$MOTO_PORT.
    os.environ["MOTO_PORT"] = str(bound_port)

    def stop_server() -> None:
        _post_json(f"{url}/moto-api/reset", {})
        _post_json(f"{url}/moto-api/config", previous_config)
        server.stop()
        if previous_moto_port is None:
            os.environ.pop("MOTO_PORT", None)
        else:
            os.environ["MOTO_PORT"] = previous_moto_port

    cleanups.append(stop_server)
    _post_json(f"{url}/moto-api/config", MOTO_CONFIG)
    return url


def _start_mock(cleanups: list[Callable[[], None]]) -> None:
    from moto import mock_aws

    mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]
    mock.start()
    cleanups.append(mock.stop)


def start_local_stack(
    *,
    server: bool = True,
    template: SamTemplate | None = None,
    stack_name: str = LOCAL_STACK_NAME,
    region: str = LOCAL_REGION,
    parameters: Mapping[str, str] | None = None,
    handlers: Mapping[str, Handler] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> LocalStack:
    """Start moto and create the template's resources; stop it with :meth:`LocalStack.stop`.

    ``server=True`` runs a ``ThreadedMotoServer`` on ``host:port`` (0 = a free port) and puts its URL
    in ``environ["AWS_ENDPOINT_URL"]``; ``server=False`` uses ``mock_aws`` (no socket). ``parameters``
    override template parameters; ``handlers`` maps function logical ids to handler callables that
    replace the template's (e.g. a test double for the object host).
    """
    template = template or SamTemplate.load()
    unknown = set(handlers or {}) - set(template.functions)
    if unknown:
        raise ValueError(f"handlers for functions the template does not declare: {sorted(unknown)}")
    cleanups: list[Callable[[], None]] = []
    try:
        endpoint_url = _start_server(host, port, cleanups) if server else None
        if not server:
            _start_mock(cleanups)
        patch_local_stack()
        _install_invoke_seam()
        account_id = _account_id(region, endpoint_url)
        values = template.local_values(
            stack_name=stack_name, region=region, account_id=account_id, parameters=parameters
        )
        stack = LocalStack(
            template=template,
            values=values,
            functions={
                logical_id: LocalFunction(
                    spec,
                    function_name=values.refs[logical_id],
                    region=region,
                    account_id=account_id,
                    handler=(handlers or {}).get(logical_id),
                )
                for logical_id, spec in template.functions.items()
            },
            environ=_environ(template, values, endpoint_url),
            endpoint_url=endpoint_url,
            cleanups=cleanups,
        )
        _create_resources(stack)
    except BaseException:
        while cleanups:
            cleanups.pop()()
        raise
    return stack


def _account_id(region: str, endpoint_url: str | None) -> str:
    sts = boto3.client(
        "sts",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    return str(sts.get_caller_identity()["Account"])


def _environ(template: SamTemplate, values: LocalValues, endpoint_url: str | None) -> dict[str, str]:
    environ = {
        **template.resolve_environment(values),
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": values.region,
        "AWS_REGION": values.region,
        # X-Ray needs a daemon; Powertools' Tracer is a no-op with this set.
        "POWERTOOLS_TRACE_DISABLED": "true",
        # There is no authorizer here: the API takes the caller from userId / X-User-Id.
        "TRUST_CLIENT_IDENTITY": "true",
        # ... and no user pool: the chat page's local mode.
        "COGNITO_DOMAIN": "",
        "COGNITO_CLIENT_ID": "",
        "COGNITO_ISSUER": "",
        # Sockets are served by the local gateway, which sets its own URL here when it starts.
        "WEBSOCKET_CALLBACK_URL": "",
    }
    if endpoint_url:
        environ["AWS_ENDPOINT_URL"] = endpoint_url
    return environ


def _create_resources(stack: LocalStack) -> None:
    template, values = stack.template, stack.values
    iam = stack.client("iam")
    role_arn = iam.create_role(RoleName=f"{values.stack_name}-local", AssumeRolePolicyDocument=_TRUST_POLICY)[
        "Role"
    ]["Arn"]

    dynamodb = stack.client("dynamodb")
    for logical_id, table in template.tables.items():
        name = values.refs[logical_id]
        dynamodb.create_table(**table.create_table_kwargs(name))
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )

    lambda_client = stack.client("lambda")
    for logical_id, function in stack.functions.items():
        spec = function.spec
        lambda_client.create_function(
            FunctionName=function.function_name,
            Runtime=spec.runtime or "python3.13",
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": _handler_package(spec.handler)},
            Timeout=spec.timeout,
            MemorySize=spec.memory_size,
            Environment={"Variables": template.resolve_environment(values, logical_id)},
        )
        with _ROUTED_LOCK:
            _ROUTED[function.function_name] = function
        stack.cleanups.append(functools.partial(_unroute, function.function_name))

    stepfunctions = stack.client("stepfunctions")
    for logical_id, machine in template.state_machines.items():
        stepfunctions.create_state_machine(
            name=values.attributes[f"{logical_id}.Name"],
            definition=template.state_machine_definition(logical_id, values),
            roleArn=role_arn,
            type=machine.type,
        )


def _unroute(function_name: str) -> None:
    with _ROUTED_LOCK:
        _ROUTED.pop(function_name, None)
