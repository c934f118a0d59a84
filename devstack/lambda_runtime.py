"""Run Lambda handlers in-process, the way the Lambda Python runtime would call them.

Each handler module is loaded from its file under a unique module name, so the three ``app.py``
handlers (api, object_host, reaper) never clash in ``sys.modules``. The function's layers (``shared/``)
are put on ``sys.path`` like ``/opt/python`` is in Lambda. A call gets a fresh :class:`LambdaContext`
whose remaining time counts down from the function's ``Timeout`` (the timeout is reported, not
enforced: a thread cannot be killed). :meth:`LocalFunction.invoke_payload` gives the ``Invoke`` API's
view: an unhandled exception becomes Lambda's error payload ``{"errorType", "errorMessage", ...}``
with function error ``Unhandled``.

Locally every function shares the process environment: apply the template's (merged) environment
to ``os.environ`` before the first call (:func:`devstack.moto_stack.start_local_stack` computes it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from devstack.log_text import printable_traceback
from devstack.template import FunctionSpec

Handler = Callable[[Any, "LambdaContext"], Any]
"""A Lambda handler: ``handler(event, context) -> JSON-serialisable result``."""

FUNCTION_ERROR_UNHANDLED = "Unhandled"
"""The ``X-Amz-Function-Error`` value Lambda reports when the handler raised."""

LOGGER = logging.getLogger("devstack.lambda")


@dataclass
class LambdaContext:
    """The context object the Lambda Python runtime passes to a handler (the attributes it documents)."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    started_at: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout (never negative)."""
        elapsed = time.monotonic() - self.started_at
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass(frozen=True)
class InvocationResult:
    """What Lambda's ``Invoke`` API returns: the payload bytes, and ``Unhandled`` if the handler raised."""

    payload: bytes
    function_error: str | None = None

    @property
    def failed(self) -> bool:
        return self.function_error is not None

    def json(self) -> Any:
        """The payload decoded (a result, or the ``{"errorType", "errorMessage", ...}`` error)."""
        return json.loads(self.payload)


def load_module(path: Path, module_name: str | None = None) -> ModuleType:
    """Import the file ``path`` as module ``module_name`` (by default a unique name derived from the path).

    While the module executes, its folder is first on ``sys.path``, so it can import sibling modules
    as it would in Lambda (where its folder is the task root).
    """
    path = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"handler module {path} does not exist")
    if module_name is None:
        digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:10]
        module_name = f"_devstack_handler_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.remove(str(path.parent))
    return module


def handler_from_file(path: Path, attribute: str = "handler") -> Handler:
    """The handler ``attribute`` of the module file ``path`` (loaded under a unique module name)."""
    handler: Handler = getattr(load_module(path), attribute)
    return handler


def add_layers_to_path(layer_paths: tuple[Path, ...]) -> None:
    """Make the layers importable, as Lambda does with ``/opt/python`` (idempotent)."""
    for layer in layer_paths:
        if str(layer) not in sys.path:
            sys.path.append(str(layer))


def error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's error payload for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


class LocalFunction:
    """One template function, callable in-process.

    ``handler`` replaces the one the template names (tests use it to run a fixture handler under a
    template function's name); without it the template's handler file is loaded on first call.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        function_name: str,
        region: str,
        account_id: str,
        handler: Handler | None = None,
    ) -> None:
        self.spec = spec
        self.function_name = function_name
        self.arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self._handler = handler
        self._lock = threading.Lock()

    @property
    def handler(self) -> Handler:
        """The handler callable (the template's handler is imported on first use)."""
        with self._lock:
            if self._handler is None:
                add_layers_to_path(self.spec.layer_paths)
                module = load_module(self.spec.handler_file, f"_devstack_handler_{self.spec.logical_id}")
                self._handler = getattr(module, self.spec.handler_function)
            return self._handler

    def new_context(self) -> LambdaContext:
        """A fresh context for one invocation (new request id, full time budget)."""
        return LambdaContext(
            function_name=self.function_name,
            memory_limit_in_mb=self.spec.memory_size,
            invoked_function_arn=self.arn,
            timeout_seconds=float(self.spec.timeout),
        )

    def invoke(self, event: Any) -> Any:
        """Call the handler with ``event``; exceptions propagate (API Gateway's view of a failure)."""
        return self.handler(event, self.new_context())

    def invoke_payload(self, payload: bytes | str | None) -> InvocationResult:
        """Lambda's ``Invoke`` semantics: JSON in, JSON out, an exception becomes an error payload."""
        context = self.new_context()
        try:
            event = json.loads(payload) if payload else {}
            result = self.handler(event, context)
        except Exception as exc:  # noqa: BLE001 - every handler failure is reported, as Lambda does
            LOGGER.error(
                "%s (%s) failed:\n%s", self.function_name, context.aws_request_id, printable_traceback(exc)
            )
            body = error_payload(exc, context.aws_request_id)
            return InvocationResult(json.dumps(body).encode(), FUNCTION_ERROR_UNHANDLED)
        try:
            return InvocationResult(json.dumps(result).encode())
        except (TypeError, ValueError) as exc:
            body = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "requestId": context.aws_request_id,
                "stackTrace": [],
            }
            return InvocationResult(json.dumps(body).encode(), FUNCTION_ERROR_UNHANDLED)
