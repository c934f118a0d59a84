"""One WebSocket connection on the local gateway, as API Gateway's WebSocket API runs it.

The gateway hands a ``GET /ws`` with ``Upgrade: websocket`` (after its Host/Origin checks) to
:func:`serve_websocket`, on the connection's own thread. The handshake and framing are done by
``wsproto`` (python-hyper's sans-I/O WebSocket library): it takes the request ``http.server`` already
parsed (``initiate_upgrade_connection``), so WebSocket and HTTP share one port and one set of checks.

Events go to the WebSocket function's handler in the shapes API Gateway sends:

* ``$connect`` (``eventType: CONNECT``) before the handshake is answered: a ``statusCode`` other than
  2xx refuses the socket with that status (as an authorizer or a ``$connect`` integration does);
* ``$default`` (``eventType: MESSAGE``, ``body``: the text) for each message, one at a time per
  connection, in order, on a worker thread (the reader keeps answering pings meanwhile);
* ``$disconnect`` (``eventType: DISCONNECT``) once the socket closed, either side.

Messages over API Gateway's 128 KB close the socket with 1009. What the backend sends goes through
the ``@connections`` API (:mod:`devstack.websocket_hub`), which writes to the socket here.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from io import BufferedIOBase
from typing import Any
from urllib.parse import parse_qsl

from devstack.websocket_hub import MAX_MESSAGE_BYTES, Hub, LiveConnection

LOGGER = logging.getLogger("devstack.websocket")

Invoke = Callable[[dict[str, Any]], Any]


def is_upgrade(headers: list[tuple[str, str]]) -> bool:
    """Whether the request asks for a WebSocket (``Upgrade: websocket``)."""
    return any(name.lower() == "upgrade" and value.strip().lower() == "websocket" for name, value in headers)


def _event(
    route: str,
    kind: str,
    connection_id: str,
    *,
    stage: str,
    account_id: str,
    source_ip: str,
    headers: list[tuple[str, str]] | None = None,
    query: str = "",
    body: str | None = None,
    connected_at: int = 0,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": kind,
        "connectionId": connection_id,
        "messageDirection": "IN",
        "extendedRequestId": request_id,
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "connectedAt": connected_at,
        "stage": stage,
        "domainName": "127.0.0.1",
        "apiId": "local",
        "accountId": account_id,
        "identity": {"sourceIp": source_ip},
    }
    event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": False}
    if kind == "MESSAGE":
        context["messageId"] = uuid.uuid4().hex[:16]
        event["body"] = body
    if kind == "CONNECT":
        flat: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers or []:
            flat[name] = value
            multi.setdefault(name, []).append(value)
        event["headers"], event["multiValueHeaders"] = flat, multi
        params = parse_qsl(query, keep_blank_values=True)
        event["queryStringParameters"] = dict(params) or None
        grouped: dict[str, list[str]] = {}
        for name, value in params:
            grouped.setdefault(name, []).append(value)
        event["multiValueQueryStringParameters"] = grouped or None
    if kind == "DISCONNECT":
        context["disconnectStatusCode"] = 1000
        context["disconnectReason"] = ""
    return event


class _Socket:
    """The wsproto connection over the client's socket; sends are serialised (reader, hub, workers)."""

    def __init__(self, sock: socket.socket, reader: BufferedIOBase) -> None:
        from wsproto import ConnectionType, WSConnection

        self.sock = sock
        self.reader = reader
        self.ws = WSConnection(ConnectionType.SERVER)
        self.lock = threading.Lock()
        self.closed = False

    def write(self, event: Any) -> None:
        with self.lock:
            if self.closed:
                raise OSError("the WebSocket is closed")
            self.sock.sendall(self.ws.send(event))

    def send_message(self, data: bytes) -> None:
        from wsproto.events import BytesMessage, TextMessage

        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.write(BytesMessage(data=data))
        else:
            self.write(TextMessage(data=text))

    def close(self, code: int = 1000) -> None:
        from wsproto.events import CloseConnection

        try:
            self.write(CloseConnection(code=code))
        except Exception:  # noqa: BLE001 - already closed or in a state where closing is moot
            pass
        with self.lock:
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Worker:
    """The ``$default`` events of one connection, run one at a time in arrival order."""

    def __init__(self, run: Callable[[str], None]) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._running = False

    def submit(self, text: str) -> None:
        with self._lock:
            self._queue.append(text)
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._drain, name="devstack-ws-message", daemon=True).start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = False
                    return
                text = self._queue.popleft()
            try:
                self._run(text)
            except Exception:  # noqa: BLE001 - like API Gateway: a failed integration does not close the socket
                LOGGER.exception("the $default handler raised")


def serve_websocket(
    sock: socket.socket,
    reader: BufferedIOBase,
    *,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    source_ip: str,
    invoke: Invoke,
    hub: Hub,
    stage: str,
    account_id: str,
) -> None:
    """Run one WebSocket connection to its end (see the module documentation).

    Args:
        sock: the client's socket, its HTTP request read.
        reader: the buffered reader over ``sock`` (it may hold bytes already sent).
        path: the request path (``/ws``).
        query: the query string (the ``$connect`` event's ``queryStringParameters``).
        headers: the request's headers.
        source_ip: the client's address.
        invoke: calls the WebSocket function's handler with an event; returns its result.
        hub: where the connection is registered for ``@connections``.
        stage: the stage name the events carry.
        account_id: the account id the events carry.
    """
    from wsproto.events import (
        AcceptConnection,
        BytesMessage,
        CloseConnection,
        Ping,
        RejectConnection,
        Request,
        TextMessage,
    )

    connection_id = uuid.uuid4().hex[:12] + "="

    def event(route: str, kind: str, **extra: Any) -> dict[str, Any]:
        return _event(
            route, kind, connection_id, stage=stage, account_id=account_id, source_ip=source_ip, **extra
        )

    # no authorizer locally: the REST API's local trust rule, with the user in the query string
    claimed = dict(parse_qsl(query)).get("userId", "")
    authorizer = {"principalId": claimed} if 0 < len(claimed) <= 128 else None

    def invoke_with_identity(event: dict[str, Any]) -> Any:
        if authorizer is not None:
            event["requestContext"]["authorizer"] = dict(authorizer)
        return invoke(event)

    live = _Socket(sock, reader)
    live.ws.initiate_upgrade_connection(
        [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers], path
    )
    request = next((event for event in live.ws.events() if isinstance(event, Request)), None)
    if request is None:
        sock.sendall(live.ws.send(RejectConnection(status_code=400)))
        return
    connected_at = int(datetime.now(UTC).timestamp() * 1000)
    result = invoke_with_identity(event("$connect", "CONNECT", headers=headers, query=query))
    status = result.get("statusCode", 500) if isinstance(result, dict) else 500
    if not 200 <= int(status) < 300:
        sock.sendall(live.ws.send(RejectConnection(status_code=int(status))))
        return
    protocols = [p.strip() for p in request.subprotocols] if request.subprotocols else []
    chosen = (result.get("headers") or {}).get("Sec-WebSocket-Protocol") if protocols else None
    live.write(AcceptConnection(subprotocol=chosen))
    sock.settimeout(None)  # idle sockets stay open (API Gateway closes them after 10 minutes)
    user_agent = next((value for name, value in headers if name.lower() == "user-agent"), "")
    hub.add(LiveConnection(connection_id, live.send_message, live.close, source_ip, user_agent))

    def on_message(text: str) -> None:
        invoke_with_identity(event("$default", "MESSAGE", body=text, connected_at=connected_at))

    worker = _Worker(on_message)
    parts: list[str] = []
    size = 0
    try:
        while not live.closed:
            try:
                data = reader.read1(65536)
            except (OSError, ValueError):
                break
            if not data:
                break
            live.ws.receive_data(data)
            for received in live.ws.events():
                if isinstance(received, TextMessage):
                    parts.append(received.data)
                    size += len(received.data.encode())
                    if size > MAX_MESSAGE_BYTES:
                        live.close(1009)
                        break
                    if received.message_finished:
                        worker.submit("".join(parts))
                        parts, size = [], 0
                elif isinstance(received, BytesMessage):
                    live.close(1003)  # API Gateway's routes take text
                    break
                elif isinstance(received, Ping):
                    live.write(received.response())
                elif isinstance(received, CloseConnection):
                    try:
                        live.write(received.response())
                    except OSError:
                        pass
                    live.closed = True
                    break
    finally:
        hub.remove(connection_id)
        live.close()
        invoke_with_identity(event("$disconnect", "DISCONNECT", connected_at=connected_at))
