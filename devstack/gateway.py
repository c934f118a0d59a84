"""A local API Gateway (REST, v1 proxy integration) for the template's ``Type: Api`` events.

:class:`ApiGateway` serves HTTP on loopback with ``http.server.ThreadingHTTPServer``: each request is
matched against the template's routes (``/agents/{namespace}/{name}/message``: ``{params}`` become
``pathParameters``), turned into the proxy event API Gateway would send, passed to the route's
handler in-process, and the handler's proxy response is written back. ``AWS_IAM`` routes are allowed
locally and get a local caller identity in ``requestContext.identity``.

Every method and path goes through the same route matching: the gateway knows no path of its own.
Before that, :mod:`devstack.http_guard` checks the request: a loopback ``Host`` (and ``Origin``, when a
browser sends one), a path as target, and unambiguous body framing (``Content-Length`` or chunked).

Errors the gateway itself produces are JSON ``{"error": {"code", "message"}}``: 400 for a malformed
request (request line, headers, ``Content-Length``, chunk sizes), 403 for a host or origin that is
not loopback, 404 for an unknown path, 405 for a known path with another method, 413 for a body over
API Gateway's 10 MB cap, 431 for headers over ``http.server``'s limits, 502 when the handler raises or
returns something that is not a proxy response (as API Gateway does). After a framing error the
connection is closed (where the next request would start is unknown).

A request's line and headers must arrive within a deadline (a client trickling them a byte at a time
is disconnected), and at most ``max_connections`` are served at once (503 ``too_many_connections``
beyond): :mod:`devstack.http_limits`. Connections are served one thread each (like one Lambda
environment per concurrent request), with a listen backlog of :data:`LISTEN_BACKLOG` so that a
burst of clients connecting at once is queued by the kernel, not refused. Request lines, paths and
handler tracebacks are logged escaped (:mod:`devstack.log_text`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from devstack.http_guard import (
    CHUNK_LINE_LIMIT,
    GatewayError,
    body_framing,
    check_header_block,
    check_host,
    check_method,
    check_origin,
    check_target,
    chunk_size,
)
from devstack.http_limits import HEADER_DEADLINE_SECONDS, MAX_CONNECTIONS, ConnectionSlots, HeaderDeadlines
from devstack.lambda_runtime import LocalFunction
from devstack.log_text import printable, printable_traceback
from devstack.moto_stack import LocalStack
from devstack.template import ApiRoute
from devstack.websocket_hub import Hub
from devstack.websocket_session import is_upgrade, serve_websocket

CALLBACK_VARIABLE = "WEBSOCKET_CALLBACK_URL"

WEBSOCKET_PATH = "/ws"
"""Where the local WebSocket API is served (the same port as HTTP)."""

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload cap for REST APIs."""

_DRAIN_BYTES = 64 * 1024 * 1024
"""The most of a too-large body read (and dropped) before answering 413."""

LISTEN_BACKLOG = 1024
"""Connections the kernel queues before the gateway accepts them (Linux caps it at net.core.somaxconn)."""

_TRAILER_LINES = 64
"""The most trailer lines read after a chunked body."""

_ERROR_CODES = {
    HTTPStatus.BAD_REQUEST: "bad_request",
    HTTPStatus.REQUEST_URI_TOO_LONG: "uri_too_long",
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: "headers_too_large",
}
"""Codes for the errors ``http.server`` itself answers (a malformed request line or headers)."""

LOGGER = logging.getLogger("devstack.gateway")

_PATH_PARAMETER = re.compile(r"\{([^}/]+?)(\+?)\}")


_TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Retry-After: 1\r\nContent-Length: 97\r\n\r\n"
    b'{"error": {"code": "too_many_connections", "message": "the local stack serves too many clients"}}'
)
"""The answer to a connection over the cap (written before any of its request is read)."""


def _reset_handler_env() -> None:
    """Handlers read their settings again (after the callback URL changed); before any handler was
    loaded (the layer not yet on the path) there is nothing to forget."""
    runtime = sys.modules.get("durable_agents.runtime")
    if runtime is not None:
        runtime.reset_default_env()


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    slots: ConnectionSlots

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.take():
            try:
                request.sendall(_TOO_MANY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.give_back()


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
        header_deadline_seconds: float = HEADER_DEADLINE_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
        websocket_function: str | None = None,
    ) -> None:
        missing = {route.function for route in routes} - set(functions)
        if missing:
            raise ValueError(f"routes name functions that are not given: {sorted(missing)}")
        if websocket_function is not None and websocket_function not in functions:
            raise ValueError(f"the WebSocket function {websocket_function} is not given")
        self.websocket_function = websocket_function
        self._callback_before: str | None = None
        self.hub = Hub()
        """The open WebSockets, and the ``@connections`` API over them."""
        self.routes = [_compile(route) for route in routes]
        self.functions = functions
        self.stage = stage
        self.account_id = account_id
        self.max_body_bytes = max_body_bytes
        self._in_flight = 0
        self._idle = threading.Condition()
        self._server = _Server((host, port), self._handler_class())
        self._server.slots = ConnectionSlots(max_connections)
        bound_host, bound_port = self._server.socket.getsockname()[:2]
        self._url = f"http://{bound_host}:{bound_port}"
        self.header_deadlines = HeaderDeadlines(header_deadline_seconds)
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
            websocket_function=stack.template.websocket_function,
        )

    @property
    def url(self) -> str:
        return self._url

    def start(self) -> Self:
        """Serve in a background thread. With a WebSocket function, this process's handlers post to this
        gateway's ``@connections`` (``WEBSOCKET_CALLBACK_URL``: the local stack shares one environment)."""
        if self.websocket_function is not None:
            self._callback_before = os.environ.get(CALLBACK_VARIABLE)
            os.environ[CALLBACK_VARIABLE] = self.url
            _reset_handler_env()
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
        self.hub.close_all()
        deadline = time.monotonic() + grace_seconds
        with self._idle:
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
        self._server.server_close()
        self.header_deadlines.stop()
        if self.websocket_function is not None and os.environ.get(CALLBACK_VARIABLE) == self.url:
            if self._callback_before is None:
                os.environ.pop(CALLBACK_VARIABLE, None)
            else:
                os.environ[CALLBACK_VARIABLE] = self._callback_before
            _reset_handler_env()

    def __enter__(self) -> Self:
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
            except Exception as exc:  # noqa: BLE001 - API Gateway answers 502 whatever the handler raised
                LOGGER.error(
                    "%s %s: the handler raised\n%s",
                    printable(request.method),
                    printable(request.path),
                    printable_traceback(exc),
                )
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

            def handle(self) -> None:
                try:
                    super().handle()
                except ConnectionError:  # the client went away; there is no one left to answer
                    self.close_connection = True

            def handle_one_request(self) -> None:
                gateway.header_deadlines.start(self.connection)
                try:
                    super().handle_one_request()
                finally:
                    gateway.header_deadlines.done(self.connection)

            def __getattr__(self, name: str) -> Any:
                # ``do_<METHOD>`` for every method: the routes decide (404/405), not http.server (501).
                if name.startswith("do_"):
                    return self._dispatch
                raise AttributeError(name)

            def _dispatch(self) -> None:
                if not gateway.header_deadlines.done(self.connection):
                    self.close_connection = True  # shut down by the watchdog as the headers came in
                    return
                gateway._enter()
                try:
                    self._answer()
                finally:
                    gateway._leave()

            def _answer(self) -> None:
                try:
                    if self.request_version == "HTTP/0.9":  # answered as 1.0: 0.9 has no status line
                        self.request_version = "HTTP/1.0"
                        raise GatewayError(HTTPStatus.BAD_REQUEST, "bad_request", "HTTP/0.9 is not served")
                    check_method(self.command)
                    check_target(self.path)
                    check_header_block(
                        list(self.headers.items()), str(self.headers.get_payload()), len(self.headers.defects)
                    )
                    check_host(self.headers.get_all("Host"))
                    check_origin(self.headers.get_all("Origin"))
                    body = self._read_body()
                except GatewayError as error:
                    self.close_connection = True
                    self._respond(*error_response(error))
                    return
                url = urlsplit(self.path)
                if gateway.hub.serves(url.path):
                    self._respond(*gateway.hub.answer(self.command, url.path, body))
                    return
                if url.path == WEBSOCKET_PATH and gateway.websocket_function is not None:
                    self._websocket(url.path, url.query)
                    return
                request = GatewayRequest(
                    method=self.command,
                    path=url.path,
                    query=url.query,
                    headers=list(self.headers.items()),
                    body=body,
                    source_ip=self.client_address[0],
                )
                self._respond(*gateway.handle(request))

            def _websocket(self, path: str, query: str) -> None:
                """A WebSocket on :data:`WEBSOCKET_PATH` (see :mod:`devstack.websocket_session`)."""
                headers = list(self.headers.items())
                if self.command != "GET" or not is_upgrade(headers):
                    self.close_connection = True
                    self._respond(
                        *error_response(
                            GatewayError(
                                HTTPStatus.UPGRADE_REQUIRED,
                                "upgrade_required",
                                f"{WEBSOCKET_PATH} is a WebSocket endpoint (GET with Upgrade: websocket)",
                            )
                        )
                    )
                    return
                self.close_connection = True
                function = gateway.functions[gateway.websocket_function or ""]
                serve_websocket(
                    self.connection,
                    self.rfile,
                    path=path,
                    query=query,
                    headers=headers,
                    source_ip=self.client_address[0],
                    invoke=function.invoke,
                    hub=gateway.hub,
                    stage=gateway.stage,
                    account_id=gateway.account_id,
                )

            def _respond(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
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

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """http.server's own errors (malformed request line or headers), as JSON like the others."""
                status = HTTPStatus(code)
                if status is HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:  # bad input, so a 4xx
                    status = HTTPStatus.BAD_REQUEST
                self.log_error("code %d, message %s", status, message)
                self.close_connection = True
                if self.request_version == "HTTP/0.9":  # not parsed yet: answer with a status line anyway
                    self.request_version = "HTTP/1.0"
                error_code = _ERROR_CODES.get(status, "bad_request")
                self._respond(*error_response(GatewayError(status, error_code, message or status.phrase)))

            def _read_body(self) -> bytes:
                framing = body_framing(
                    self.headers.get_all("Content-Length"), self.headers.get_all("Transfer-Encoding")
                )
                limit = gateway.max_body_bytes
                too_large = GatewayError(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "payload_too_large",
                    f"request body exceeds {limit} bytes",
                )
                if framing.chunked:
                    return self._read_chunked(limit, too_large)
                if framing.length > limit:
                    # Read what the client sends (up to a bound) so it sees the 413, not a reset.
                    remaining = min(framing.length, _DRAIN_BYTES)
                    while remaining > 0 and (chunk := self.rfile.read(min(remaining, 1 << 20))):
                        remaining -= len(chunk)
                    raise too_large
                body = self.rfile.read(framing.length) if framing.length else b""
                if len(body) < framing.length:
                    raise GatewayError(
                        HTTPStatus.BAD_REQUEST,
                        "incomplete_body",
                        "the body ended before Content-Length bytes",
                    )
                return body

            def _read_chunked(self, limit: int, too_large: GatewayError) -> bytes:
                chunks, size = [], 0
                while length := chunk_size(self.rfile.readline(CHUNK_LINE_LIMIT)):
                    size += length
                    if size > limit:
                        raise too_large
                    chunk = self.rfile.read(length)
                    if len(chunk) < length or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                        raise GatewayError(
                            HTTPStatus.BAD_REQUEST, "bad_chunk", "a chunk is not as long as its size says"
                        )
                    chunks.append(chunk)
                for _ in range(_TRAILER_LINES):
                    line = self.rfile.readline(CHUNK_LINE_LIMIT)
                    if line in (b"\r\n", b"\n"):
                        return b"".join(chunks)
                    if not line.endswith(b"\n"):
                        break
                raise GatewayError(
                    HTTPStatus.BAD_REQUEST, "bad_chunk", "the chunked body does not end properly"
                )

            def log_message(self, format: str, *args: Any) -> None:
                LOGGER.info("%s %s", self.address_string(), printable(format % args))

        return _RequestHandler
