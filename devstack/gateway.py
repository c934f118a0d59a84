"""A local API Gateway (REST, v1 proxy integration) for the template's ``Type: Api`` events.

:class:`ApiGateway` serves HTTP on loopback with ``http.server.ThreadingHTTPServer``: each request is
matched against the template's routes (``/agents/{namespace}/{name}/message``: ``{params}`` become
``pathParameters``), turned into the proxy event API Gateway would send, passed to the route's
handler in-process, and the handler's proxy response is written back. ``AWS_IAM`` routes are allowed
locally and get a local caller identity in ``requestContext.identity``.

Errors the gateway itself produces are JSON ``{"error": {"code", "message"}}``: 404 for an unknown
path, 405 for a known path with another method, 413 for a body over API Gateway's 10 MB cap, 502 when
the handler raises or returns something that is not a proxy response (as API Gateway does).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from devstack.lambda_runtime import LocalFunction
from devstack.moto_stack import LocalStack
from devstack.template import ApiRoute

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload cap for REST APIs."""

_DRAIN_BYTES = 64 * 1024 * 1024
"""The most of a too-large body read (and dropped) before answering 413."""

LOGGER = logging.getLogger("devstack.gateway")

_PATH_PARAMETER = re.compile(r"\{([^}/]+?)(\+?)\}")


class GatewayError(Exception):
    """A request the gateway answers itself, with a JSON error."""

    def __init__(self, status: HTTPStatus, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class _CompiledRoute:
    route: ApiRoute
    pattern: re.Pattern[str]


def _compile(route: ApiRoute) -> _CompiledRoute:
    """``/agents/{namespace}/{name}/message`` -> a regex with one named group per parameter."""
    pattern, position = "", 0
    for match in _PATH_PARAMETER.finditer(route.path):
        pattern += re.escape(route.path[position : match.start()])
        greedy = match.group(2) == "+"
        pattern += f"(?P<{match.group(1)}>{'.+' if greedy else '[^/]+'})"
        position = match.end()
    pattern += re.escape(route.path[position:])
    return _CompiledRoute(route, re.compile(f"^{pattern}/?$"))


@dataclass(frozen=True)
class GatewayRequest:
    """One HTTP request as the gateway received it (``path`` still URL-encoded)."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


def build_proxy_event(
    request: GatewayRequest,
    route: ApiRoute,
    path_parameters: Mapping[str, str],
    *,
    stage: str,
    account_id: str,
) -> dict[str, Any]:
    """The API Gateway REST (v1) proxy event for ``request`` matched to ``route``."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body: str | None = None
    is_base64 = False
    if request.body:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    signed = route.auth == "AWS_IAM"
    identity = {
        "sourceIp": request.source_ip,
        "userAgent": headers.get("User-Agent"),
        "accountId": account_id if signed else None,
        "caller": "LOCALCALLER" if signed else None,
        "user": "LOCALCALLER" if signed else None,
        "userArn": f"arn:aws:iam::{account_id}:user/local" if signed else None,
        "accessKey": "LOCALACCESSKEY" if signed else None,
        "apiKey": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
    }
    return {
        "resource": route.path,
        "path": unquote(request.path),
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "domainName": headers.get("Host", "localhost"),
            "domainPrefix": "local",
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": identity,
            "path": f"/{stage}{unquote(request.path)}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": route.event,
            "resourcePath": route.path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _proxy_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body from a handler's proxy response (GatewayError 502 if malformed)."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise GatewayError(HTTPStatus.BAD_GATEWAY, "internal_error", "Internal server error")
    headers: dict[str, list[str]] = {
        name: [str(value)] for name, value in (result.get("headers") or {}).items()
    }
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = [str(value) for value in values]
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    pairs = [(name, value) for name, values in headers.items() for value in values]
    return result["statusCode"], pairs, payload


def error_response(error: GatewayError) -> tuple[int, list[tuple[str, str]], bytes]:
    """The gateway's JSON response for ``error``."""
    body = json.dumps({"error": {"code": error.code, "message": error.message}}).encode()
    return error.status, [("Content-Type", "application/json"), *error.headers.items()], body


class ApiGateway:
    """Serve ``routes`` on ``host:port`` (0 = a free port), dispatching to ``functions`` by logical id."""

    def __init__(
        self,
        routes: Sequence[ApiRoute],
        functions: Mapping[str, LocalFunction],
        *,
        stage: str,
        account_id: str,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        missing = {route.function for route in routes} - set(functions)
        if missing:
            raise ValueError(f"routes name functions that are not given: {sorted(missing)}")
        self.routes = [_compile(route) for route in routes]
        self.functions = functions
        self.stage = stage
        self.account_id = account_id
        self.max_body_bytes = max_body_bytes
        self._in_flight = 0
        self._idle = threading.Condition()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @classmethod
    def for_stack(cls, stack: LocalStack, *, host: str = "127.0.0.1", port: int = 0) -> ApiGateway:
        """A gateway for every API route of ``stack``'s template, served by ``stack``'s functions."""
        routes = stack.template.routes
        stages = {stack.template.api_stage(route.api, stack.values) for route in routes}
        if len(stages) > 1:
            raise ValueError(f"routes of several API stages ({sorted(stages)}); give each its own gateway")
        return cls(
            routes,
            stack.functions,
            stage=stages.pop() if stages else "local",
            account_id=stack.values.account_id,
            host=host,
            port=port,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ApiGateway:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="devstack-gateway", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``grace_seconds``), close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        deadline = time.monotonic() + grace_seconds
        with self._idle:
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
        self._server.server_close()

    def __enter__(self) -> ApiGateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling

    def match(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]]:
        """The route for ``method path`` and its path parameters; GatewayError 404/405 otherwise."""
        allowed: list[str] = []
        for compiled in self.routes:
            found = compiled.pattern.match(path)
            if found is None:
                continue
            if compiled.route.method in (method, "ANY"):
                return compiled.route, {name: unquote(value) for name, value in found.groupdict().items()}
            allowed.append(compiled.route.method)
        if allowed:
            raise GatewayError(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"{method} is not allowed on {path}",
                {"Allow": ", ".join(sorted(set(allowed)))},
            )
        raise GatewayError(HTTPStatus.NOT_FOUND, "not_found", f"no route for {method} {path}")

    def handle(self, request: GatewayRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one request: the handler's response, or the gateway's own JSON error."""
        try:
            route, path_parameters = self.match(request.method, request.path)
            event = build_proxy_event(
                request, route, path_parameters, stage=self.stage, account_id=self.account_id
            )
            try:
                result = self.functions[route.function].invoke(event)
            except Exception:  # API Gateway answers 502 whatever the handler raised
                LOGGER.exception("%s %s: the handler raised", request.method, request.path)
                raise GatewayError(
                    HTTPStatus.BAD_GATEWAY, "internal_error", "Internal server error"
                ) from None
            return _proxy_response(result)
        except GatewayError as error:
            return error_response(error)

    def _enter(self) -> None:
        with self._idle:
            self._in_flight += 1

    def _leave(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "durable-agents-devstack"
            timeout = 60

            def _dispatch(self) -> None:
                gateway._enter()
                try:
                    self._answer()
                finally:
                    gateway._leave()

            def _answer(self) -> None:
                url = urlsplit(self.path)
                try:
                    body = self._read_body()
                except GatewayError as error:
                    self.close_connection = True
                    status, headers, payload = error_response(error)
                else:
                    request = GatewayRequest(
                        method=self.command,
                        path=url.path,
                        query=url.query,
                        headers=list(self.headers.items()),
                        body=body,
                        source_ip=self.client_address[0],
                    )
                    status, headers, payload = gateway.handle(request)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _read_body(self) -> bytes:
                limit = gateway.max_body_bytes
                too_large = GatewayError(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "payload_too_large",
                    f"request body exceeds {limit} bytes",
                )
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks, size = [], 0
                    while (length := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                        size += length
                        if size > limit:
                            raise too_large
                        chunks.append(self.rfile.read(length))
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                length = int(self.headers.get("Content-Length") or 0)
                if length > limit:
                    # Read what the client sends (up to a bound) so it sees the 413, not a reset.
                    remaining = min(length, _DRAIN_BYTES)
                    while remaining > 0 and (chunk := self.rfile.read(min(remaining, 1 << 20))):
                        remaining -= len(chunk)
                    raise too_large
                return self.rfile.read(length) if length else b""

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
                LOGGER.info("%s %s", self.address_string(), format % args)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

        return _RequestHandler
