"""Live-connection test support: a ``@connections`` endpoint over a :class:`~devstack.websocket_hub.Hub`
with recording connections, and objects that accept, broadcast, stream and fail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.websocket_hub import Hub, LiveConnection
from durable_agents.runtime import DurableObject, rpc
from durable_agents.runtime.alarms import AlarmInfo


class Recorder:
    """A fake client: the messages posted to it, in order."""

    def __init__(self, hub: Hub, connection_id: str) -> None:
        self.id = connection_id
        self.messages: list[dict[str, Any]] = []
        self.closed = False
        self._lock = threading.Lock()
        hub.add(LiveConnection(connection_id, self._send, self._close, "127.0.0.1", "test"))

    def _send(self, data: bytes) -> None:
        with self._lock:
            self.messages.append(json.loads(data))

    def _close(self) -> None:
        self.closed = True

    def types(self) -> list[str]:
        with self._lock:
            return [message["type"] for message in self.messages]


@contextmanager
def management_endpoint(hub: Hub) -> Iterator[str]:
    """Serve ``hub``'s ``@connections`` API on a free loopback port; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = hub.answer(self.command, self.path, body)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Room(DurableObject):
    """A chat room: connections tagged by user; what it says is broadcast after its commit."""

    @rpc
    def join(self, connection_id: str, user: str, after: int | None = None) -> dict[str, Any]:
        self.connections.accept(connection_id, tags=[f"user:{user}"], attachment={"user": user})
        missed: list[dict[str, Any]] = []
        complete = True
        if after is not None:
            missed, complete = self.connections.events_after(after)
            for event in missed:
                self.connections.send(connection_id, event)
        return {"missed": len(missed), "complete": complete}

    @rpc
    def leave(self, connection_id: str) -> None:
        self.connections.close(connection_id)

    @rpc
    def say(self, text: str, tag: str | None = None, fail: bool = False) -> int:
        self.storage.put("last", text)
        seq = self.connections.broadcast({"type": "turn", "text": text}, tag=tag)
        if fail:
            raise ValueError("refused after broadcasting")
        return seq

    @rpc
    def streamed(self, parts: list[str], fail: bool = False) -> int:
        for part in parts:
            self.connections.stream({"type": "text", "text": part})
        if fail:
            raise ValueError("the answer failed mid-stream")
        return self.connections.broadcast({"type": "turn", "text": "".join(parts)})

    @rpc
    def whisper(self, connection_id: str, text: str) -> None:
        self.connections.send(connection_id, {"type": "push", "text": text})

    @rpc
    def wipe(self) -> int:
        generation = self.ctx.storage._snapshot.gen
        self.storage.delete_all()
        return generation

    @rpc
    def put_only(self, text: str) -> None:
        self.storage.put("last", text)

    @rpc(read_only=True)
    def last(self) -> Any:
        return self.storage.get("last")

    @rpc
    def listed(self, tag: str | None = None) -> list[str]:
        return [connection.id for connection in self.connections.connections(tag)]

    @rpc
    def remind_at(self, when_ms: int, text: str) -> None:
        self.storage.put("reminder", text)
        self.storage.set_alarm(when_ms)

    def alarm(self, info: AlarmInfo) -> None:
        self.connections.broadcast({"type": "push", "text": self.storage.get("reminder")})
        if self.storage.get("fail_alarm"):
            raise RuntimeError("the alarm failed")

    @rpc
    def fail_alarms(self) -> None:
        self.storage.put("fail_alarm", True)


class Witness(Recorder):
    """A client that, as each message arrives, reads what the room has committed (the output gate)."""

    def __init__(self, hub: Hub, connection_id: str, read: Any) -> None:
        super().__init__(hub, connection_id)
        self.read = read
        self.seen_committed: list[Any] = []

    def _send(self, data: bytes) -> None:
        self.seen_committed.append(self.read())
        super()._send(data)
