"""The local ``@connections`` management API: the sockets the local gateway holds, by connection id.

API Gateway answers ``apigatewaymanagementapi`` at the WebSocket stage's callback URL; moto records a
``post_to_connection`` and delivers nothing, so the local stack serves the three calls itself, on the
gateway's own port (the callback URL is ``http://127.0.0.1:<port>``):

* ``POST /@connections/{id}``: the body is sent to the client as one message (text when it is UTF-8,
  else binary); 200, or 410 ``GoneException`` when no such connection is open.
* ``GET /@connections/{id}``: ``{"connectedAt", "lastActiveAt", "identity": {"sourceIp", "userAgent"}}``
  (boto3 reads them as ``ConnectedAt``, ``LastActiveAt``, ``Identity``).
* ``DELETE /@connections/{id}``: the gateway closes the socket (its ``$disconnect`` follows); 204.

Errors are JSON with the ``x-amzn-ErrorType`` header botocore reads (``GoneException``,
``PayloadTooLargeException`` above API Gateway's 128 KB, ``BadRequestException``), so the boto3 code
that runs in AWS gets the same exceptions here. :class:`Hub` is the registry; the gateway adds a
connection once its handshake is accepted and removes it when the socket closes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from urllib.parse import unquote

MAX_MESSAGE_BYTES = 128 * 1024
"""API Gateway's limit on one WebSocket message."""

PREFIX = "/@connections/"


@dataclass
class LiveConnection:
    """A socket the gateway holds: how to send to it and close it."""

    id: str
    send: Callable[[bytes], None]
    """Send one message (raises OSError when the socket is gone)."""
    close: Callable[[], None]
    source_ip: str
    user_agent: str
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_active_at: datetime = field(default_factory=lambda: datetime.now(UTC))


Answer = tuple[int, list[tuple[str, str]], bytes]


def _error(status: HTTPStatus, kind: str, message: str) -> Answer:
    body = json.dumps({"message": message}).encode()
    return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", kind)], body


class Hub:
    """Open connections by id, and the ``@connections`` API over them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, LiveConnection] = {}

    def add(self, connection: LiveConnection) -> None:
        """A connection whose handshake was accepted."""
        with self._lock:
            self._open[connection.id] = connection

    def remove(self, connection_id: str) -> None:
        """A connection that closed (either side)."""
        with self._lock:
            self._open.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveConnection | None:
        """The open connection ``connection_id``, if any."""
        with self._lock:
            return self._open.get(connection_id)

    def close_all(self) -> None:
        """Close every open connection (the gateway is stopping)."""
        with self._lock:
            connections = list(self._open.values())
            self._open.clear()
        for connection in connections:
            connection.close()

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)

    @staticmethod
    def serves(path: str) -> bool:
        """Whether ``path`` is a ``@connections`` path (the gateway hands those to :meth:`answer`)."""
        return path.startswith(PREFIX)

    def answer(self, method: str, path: str, body: bytes) -> Answer:
        """Answer one ``@connections`` request.

        Args:
            method: ``POST``, ``GET`` or ``DELETE``.
            path: ``/@connections/<id>`` (URL-encoded).
            body: the message, for ``POST``.

        Returns:
            status, headers and body.
        """
        connection_id = unquote(path[len(PREFIX) :])
        if not connection_id or "/" in connection_id:
            return _error(HTTPStatus.BAD_REQUEST, "BadRequestException", "Invalid connectionId")
        if method not in ("POST", "GET", "DELETE"):
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, "BadRequestException", f"{method} is not allowed")
        connection = self.get(connection_id)
        if connection is None:
            return _error(HTTPStatus.GONE, "GoneException", f"connection {connection_id} is gone")
        if method == "DELETE":
            connection.close()
            self.remove(connection_id)
            return HTTPStatus.NO_CONTENT, [], b""
        if method == "GET":
            info = {
                "connectedAt": connection.connected_at.isoformat(),
                "lastActiveAt": connection.last_active_at.isoformat(),
                "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
            }
            return HTTPStatus.OK, [("Content-Type", "application/json")], json.dumps(info).encode()
        if len(body) > MAX_MESSAGE_BYTES:
            return _error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "PayloadTooLargeException", "a message is at most 128 KB"
            )
        try:
            connection.send(body)
        except OSError:
            self.remove(connection_id)
            return _error(HTTPStatus.GONE, "GoneException", f"connection {connection_id} is gone")
        return HTTPStatus.OK, [("Content-Type", "application/json")], b"{}"
