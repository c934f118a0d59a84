"""A small HTTP client for the local API that behaves like a well-mannered API client.

It keeps one keep-alive connection per thread, sends raw bytes when asked (bad-input tests), and
:meth:`ApiClient.send` honours ``503`` + ``Retry-After``: it waits that long and sends the very same
request again (same ``Idempotency-Key``), counting every retry. Every response status is tallied, so a
test can assert that no 5xx other than a retried 503 was ever seen.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    retries: int = 0

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        return self.json()["error"]


@dataclass
class ApiClient:
    base_url: str
    max_retries: int = 30
    max_retry_after: float = 10.0
    timeout: float = 60.0
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    unexpected_5xx: list[tuple[str, int, bytes]] = field(default_factory=list)
    """5xx answers that were not a 503 with Retry-After (never retried: each one is a failure)."""

    def __post_init__(self) -> None:
        url = urlsplit(self.base_url)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._local = threading.local()
        self._lock = threading.Lock()

    # --- one attempt ----------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None

    def raw(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send exactly one request (``path`` as given, not re-encoded) and read the whole answer."""
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.putrequest(method, path, skip_accept_encoding=True)
                for name, value in (headers or {}).items():
                    connection.putheader(name, value)
                if body is not None:
                    connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body)
                response = connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # the server closed an idle keep-alive connection (or the one a 413 closed): reconnect once
                self._drop_connection()
                if attempt == 2:
                    raise
                continue
            reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
            if reply.headers.get("connection", "").lower() == "close":
                self._drop_connection()
            with self._lock:
                self.statuses[reply.status] += 1
            return reply
        raise AssertionError("unreachable")

    # --- with retries ------------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        payload: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send (JSON ``payload``) and retry ``503 + Retry-After`` after waiting as told."""
        body = None if payload is None else json.dumps(payload).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        retries = 0
        while True:
            reply = self.raw(method, path, body, all_headers)
            retry_after = reply.headers.get("retry-after")
            if reply.status == 503 and retry_after is not None and retries < self.max_retries:
                retries += 1
                with self._lock:
                    self.retries += 1
                time.sleep(min(float(retry_after), self.max_retry_after))
                continue
            if reply.status >= 500:
                with self._lock:
                    self.unexpected_5xx.append((f"{method} {path}", reply.status, reply.body[:500]))
            reply.retries = retries
            return reply

    def chat(
        self,
        message: str,
        *,
        session: str | None = None,
        user: str | None = None,
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        payload: dict[str, Any] = {"message": message}
        if session is not None:
            payload["sessionId"] = session
        if user is not None:
            payload["userId"] = user
        extra = dict(headers or {})
        if key is not None:
            extra["Idempotency-Key"] = key
        return self.send("POST", "/chat", payload, extra)

    def transcript(self, session: str, user: str, *, page: int = 50) -> list[dict[str, Any]]:
        """``user``'s whole transcript of ``session``, oldest first, read page by page through
        ``GET /sessions/{id}`` (``page`` turns at a time), checked to have no gaps."""
        turns: list[dict[str, Any]] = []
        cursor: str | None = ""
        while cursor is not None:
            reply = self.send("GET", f"/sessions/{session}?limit={page}{cursor}", headers={"X-User-Id": user})
            assert reply.status == 200, reply.body[:300]
            body = reply.json()
            turns = body["turns"] + turns
            cursor = None if body["nextCursor"] is None else f"&before={body['nextCursor']}"
        assert [turn["seq"] for turn in turns] == list(range(1, len(turns) + 1)), "transcript pages have gaps"
        return turns

    def state(self, namespace: str, name: str) -> Reply:
        from urllib.parse import quote

        return self.send("GET", f"/agents/{namespace}/{quote(name, safe=':')}/state")
