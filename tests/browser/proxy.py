"""A loopback HTTP proxy between the browser and the local stack, for the browser tests.

The browser loads the page and calls the API through :class:`ApiProxy`, which forwards every request
to the stack's gateway unchanged and records what passed (:attr:`ApiProxy.exchanges`). While an
:meth:`ApiProxy.intercept` block is active, requests it matches are answered by the test instead:
a canned status and JSON body (a 503 with ``Retry-After``, an answer carrying a whole plan), or a
connection closed without any answer (what a network failure looks like to the page), or held until
the test lets it through (to look at the page while a turn runs). Faults live
here, in the test, so that no production code carries a hook for them.

:class:`ApiProxy` can also stand in for API Gateway's Cognito authorizer (``authorizer=``): a request
without a valid ``Authorization: Bearer`` token is answered 401 as API Gateway would, and an accepted
token's user is passed on as ``X-User-Id``, the local stack's identity header. With ``stage=``, it
serves the API under a stage path as API Gateway does (``/dev``, ``/dev/chat``).

WebSockets (``/ws``) are passed through byte for byte and recorded as exchanges with status 101;
:attr:`ApiProxy.sockets_allowed` cleared refuses them (503: the live API unreachable, the page then
polls), and :meth:`ApiProxy.drop_sockets` cuts the open ones (a network drop: the page reconnects).
With ``authorizer=``, the socket's ``?token=`` is checked as the WebSocket API's authorizer would and
the user passed on as ``?userId=``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}


@dataclass(frozen=True)
class Canned:
    """An answer the proxy gives instead of the stack's; ``drop`` closes the connection unanswered."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass(frozen=True)
class Held:
    """Forward the request only once ``release`` is set (to look at the page while a turn runs)."""

    release: threading.Event
    timeout: float = 30.0


Rule = Canned | Held


@dataclass(frozen=True)
class Exchange:
    """One request that passed the proxy and what it was answered."""

    method: str
    path: str
    headers: dict[str, str]
    request_body: bytes
    status: int | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


Authorizer = Callable[[str | None], str | None]
"""The ``Authorization`` header -> the caller's user id, or ``None`` to answer 401."""


class ApiProxy:
    """Forward ``http://127.0.0.1:<port>`` to ``upstream`` (see the module documentation)."""

    def __init__(
        self, upstream: str, *, authorizer: Authorizer | None = None, stage: str | None = None
    ) -> None:
        target = urlsplit(upstream)
        self._stage = f"/{stage}" if stage else None
        self._upstream = (target.hostname or "127.0.0.1", target.port or 80)
        self._authorizer = authorizer
        self._lock = threading.Lock()
        self._rules: list[tuple[str, str, Rule]] = []
        self.exchanges: list[Exchange] = []
        self.sockets_allowed = threading.Event()
        """Cleared: WebSocket upgrades are refused (503), as when the live API cannot be reached."""
        self.sockets_allowed.set()
        self._pipes: list[socket.socket] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> ApiProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    @contextmanager
    def intercept(self, method: str, path: str, answer: Rule) -> Iterator[None]:
        """Answer (or hold) every ``method path`` request (query ignored) with ``answer`` inside the block."""
        rule = (method, path, answer)
        with self._lock:
            self._rules.append(rule)
        try:
            yield
        finally:
            with self._lock:
                self._rules.remove(rule)

    def requests(self, method: str, path: str) -> list[Exchange]:
        """The exchanges for ``method path`` (query ignored), oldest first, dropped ones included."""
        with self._lock:
            return [e for e in self.exchanges if e.method == method and urlsplit(e.path).path == path]

    def drop_sockets(self) -> int:
        """Cut every WebSocket piped so far (as a network drop would); how many were open."""
        with self._lock:
            pipes, self._pipes = self._pipes, []
        for pipe in pipes:
            try:
                pipe.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(pipes)

    def _pipe(self, client: socket.socket, request: bytes, leftover: bytes) -> None:
        """Pass a WebSocket through: the upgrade request upstream, then bytes both ways until one closes."""
        upstream = socket.create_connection(self._upstream, timeout=None)
        with self._lock:
            self._pipes += [client, upstream]
        upstream.sendall(request + leftover)

        def copy(source: socket.socket, target: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    target.sendall(data)
            except OSError:
                pass
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        back = threading.Thread(target=copy, args=(upstream, client), daemon=True)
        back.start()
        copy(client, upstream)
        back.join()
        upstream.close()

    def _rule(self, method: str, path: str) -> Rule | None:
        with self._lock:
            return next(
                (a for m, p, a in reversed(self._rules) if m == method and p == urlsplit(path).path), None
            )

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            forwarded["Host"] = f"{self._upstream[0]}:{self._upstream[1]}"
            connection.request(method, path, body=body or None, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                if (self.headers.get("Upgrade") or "").lower() == "websocket":
                    self._websocket()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
                headers = dict(self.headers.items())
                forwarded = dict(headers)
                canned = proxy._rule(self.command, self.path)
                path = self.path
                if proxy._stage is not None:  # API Gateway's stage URL: /dev, /dev/chat -> the API's /, /chat
                    if not (
                        path == proxy._stage or path.startswith((proxy._stage + "/", proxy._stage + "?"))
                    ):
                        canned = Canned(403, {"message": "Missing Authentication Token"})
                    path = path[len(proxy._stage) :] or "/"
                    if path.startswith("?"):
                        path = "/" + path
                if isinstance(canned, Held):
                    canned.release.wait(canned.timeout)
                    canned = None
                if canned is None and proxy._authorizer is not None:
                    canned = self._authorize(forwarded)
                if canned is not None and canned.drop:
                    proxy._record(Exchange(self.command, self.path, headers, body, None, b""))
                    self.close_connection = True
                    return
                if canned is not None:
                    payload = json.dumps(canned.body).encode()
                    status, answer_headers = (
                        canned.status,
                        [("Content-Type", "application/json"), *canned.headers.items()],
                    )
                else:
                    status, answer_headers, payload = proxy._forward(self.command, path, forwarded, body)
                proxy._record(Exchange(self.command, self.path, headers, body, status, payload))
                self.send_response(status)
                for name, value in answer_headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _websocket(self) -> None:
                headers = dict(self.headers.items())
                self.close_connection = True
                if not proxy.sockets_allowed.is_set():
                    proxy._record(Exchange(self.command, self.path, headers, b"", 503, b""))
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = self.path
                if proxy._stage is not None and target.startswith(proxy._stage + "/"):
                    target = target[len(proxy._stage) :]  # the stage's /dev/ws is the API's /ws
                if proxy._authorizer is not None:  # the WebSocket API's authorizer: ?token= names the caller
                    query = dict(parse_qsl(urlsplit(target).query))
                    user = proxy._authorizer(f"Bearer {query.get('token', '')}")
                    if user is None:
                        proxy._record(Exchange(self.command, self.path, headers, b"", 401, b""))
                        self.send_response(401)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    target = f"{urlsplit(target).path}?{urlencode({'userId': user})}"
                proxy._record(Exchange(self.command, self.path, headers, b"", 101, b""))
                lines = [f"{self.command} {target} HTTP/1.1"]
                for name, value in self.headers.items():
                    if name.lower() == "host":
                        value = f"{proxy._upstream[0]}:{proxy._upstream[1]}"
                    lines.append(f"{name}: {value}")
                request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                proxy._pipe(self.connection, request, b"")  # a client sends no frame before the 101

            def _authorize(self, headers: dict[str, str]) -> Canned | None:
                """API Gateway's Cognito authorizer: the page itself is public, the API is not. Sets the
                caller in the forwarded ``headers``, or answers 401."""
                if urlsplit(self.path).path == "/":
                    return None
                for name in [k for k in headers if k.lower() == "x-user-id"]:
                    del headers[name]  # only the authorizer names the caller
                user = proxy._authorizer(
                    next((v for k, v in headers.items() if k.lower() == "authorization"), None)
                )  # type: ignore[misc]
                if user is None:
                    return Canned(401, {"message": "Unauthorized"})
                headers["X-User-Id"] = user
                return None

            def log_message(self, format: str, *args: Any) -> None:
                pass

            do_GET = do_POST = do_DELETE = do_HEAD = _serve

        return _Handler
