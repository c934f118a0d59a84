"""Bounds on what a slow or greedy client can hold of the local gateway: a header deadline, a connection cap.

The gateway serves each connection on a thread of its own, so a client that opens connections and
trickles its headers a byte at a time would hold a thread each for as long as it likes (``http.server``
bounds only the wait for each byte). Two bounds stop that:

* :class:`HeaderDeadlines`: a whole request line and header block must arrive within
  :data:`HEADER_DEADLINE_SECONDS` of the handler starting to read it; past that, one watchdog thread
  shuts the connection down (the reading thread then sees the end of the stream and returns).
* :class:`ConnectionSlots`: at most :data:`MAX_CONNECTIONS` connections are served at once (HTTP and
  WebSocket alike; every local client is on loopback, so the cap is for all of them); one more is
  answered 503 ``too_many_connections`` and closed.
"""

from __future__ import annotations

import socket
import threading
import time

HEADER_DEADLINE_SECONDS = 10.0
"""How long a client has to send a whole request line and header block."""

MAX_CONNECTIONS = 1024
"""Connections the gateway serves at once (each holds a thread)."""

_WATCH_INTERVAL_SECONDS = 0.05


class HeaderDeadlines:
    """One watchdog thread that shuts down connections whose request headers are overdue."""

    def __init__(self, seconds: float = HEADER_DEADLINE_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._due: dict[int, tuple[float, socket.socket]] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="devstack-header-deadlines", daemon=True)
        self._thread.start()

    def start(self, connection: socket.socket) -> None:
        """Headers are being read on ``connection`` from now on.

        Args:
            connection: the client's socket.
        """
        with self._lock:
            self._due[id(connection)] = (time.monotonic() + self.seconds, connection)

    def done(self, connection: socket.socket) -> bool:
        """The headers on ``connection`` are in (or reading them ended).

        Args:
            connection: the client's socket.

        Returns:
            False when the deadline had already passed and the connection was shut down.
        """
        with self._lock:
            return self._due.pop(id(connection), None) is not None

    def stop(self) -> None:
        """End the watchdog thread."""
        self._stopped.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stopped.wait(_WATCH_INTERVAL_SECONDS):
            now = time.monotonic()
            with self._lock:
                overdue = [key for key, (due, _) in self._due.items() if due <= now]
                connections = [self._due.pop(key)[1] for key in overdue]
            for connection in connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:  # already closed by the client
                    pass


class ConnectionSlots:
    """A count of the connections being served, refusing more than ``limit``."""

    def __init__(self, limit: int = MAX_CONNECTIONS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._open = 0

    def take(self) -> bool:
        """One more connection; False (and nothing taken) when ``limit`` are open.

        Returns:
            whether a slot was taken.
        """
        with self._lock:
            if self._open >= self.limit:
                return False
            self._open += 1
            return True

    def give_back(self) -> None:
        """A connection taken with :meth:`take` has ended."""
        with self._lock:
            self._open -= 1

    @property
    def open(self) -> int:
        """Connections being served now."""
        with self._lock:
            return self._open
