"""Live connections of an object: WebSocket clients it accepts, tags, sends to and broadcasts to.

The AWS form of a Durable Object's hibernating WebSockets: API Gateway holds each socket and no code
runs between messages; an object remembers the connections it accepted as items of its own partition
and sends through the ``@connections`` management API (``apigatewaymanagementapi``), from whatever turn
it is in (a chat turn, an alarm, a schedule, a Step Functions callback).

Items (in the object's partition, in its current generation, so that ``delete_all`` and the reaper
take them with the rest: an erased conversation keeps neither its sockets nor its event log):

``G<gen>#WS#<connection id>``
    ``tags`` (L of S), ``att`` (S, the attachment as JSON), ``at`` (N, ms accepted) and ``expires_at``
    (N, TTL seconds): at most :data:`CONNECTION_TTL_SECONDS` after the accept, API Gateway's 2-hour
    limit on a connection, so a connection whose ``$disconnect`` never came is gone by then anyway.
``G<gen>#EV#<slot>``
    one commit's broadcast events, for clients that resume (``subscribe`` with ``after``): ``b`` (N,
    the batch number; ``slot = b % LOG_SLOTS``, a ring: a new batch overwrites the oldest), ``first``
    (N, its first seq), ``z`` (B, zlib-compressed JSON list of events, as ``broadcast(logged=...)``
    gave them) and ``expires_at``. Written right after the commit landed, as a plain ``PutItem``
    (a transaction bills twice), before the events are posted.
the hot value :data:`COUNTER_KEY` (in the STATE item the commit writes anyway)
    ``[seq, batch]``: the last event's sequence number and the last batch number.

Events are JSON objects with a ``type``; the runtime adds ``seq`` (per object: 1, 2, ...) to every
broadcast and keeps it in the log. **Output gate:** what a turn sends or broadcasts is buffered and
posted only after its commit landed; a turn that fails or is refused posts nothing. :meth:`stream`
is the one exception, for parts of an answer still being made: it posts at once, marked
``"provisional": true`` with the ``seq`` the turn's next broadcast will have, and the committed event
with that ``seq`` confirms it (or another one, or a ``withdrawn`` event when the turn failed, replaces
it). A post that answers 410 ``GoneException`` removes the connection's item.

Cost: the counter lives in the STATE item (no extra write), and a commit that broadcasts adds one log
item (1-2 WCU: compressed, outside the transaction); streamed parts cost no write at all.
"""

from __future__ import annotations

import json
import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from . import clock

if TYPE_CHECKING:
    from .storage import Storage

logger = logging.getLogger(__name__)

CONNECTION_TTL_SECONDS = 2 * 3600
"""A connection item lives no longer than API Gateway keeps a connection open."""
LOG_SLOTS = 32
"""Commits whose broadcasts are kept for resuming clients."""
LOG_TTL_SECONDS = 86_400
COUNTER_KEY = "~events"
CONNECTION_PREFIX = "WS#"
LOG_PREFIX = "EV#"


def connection_sk(gen: int, connection_id: str = "") -> str:
    """The sort key of a connection item (a prefix of them all with no id)."""
    return f"G{gen}#{CONNECTION_PREFIX}{connection_id}"


def log_sk(gen: int, slot: int | None = None) -> str:
    """The sort key of a log slot (a prefix of them all with no slot)."""
    return f"G{gen}#{LOG_PREFIX}" + (f"{slot:03d}" if slot is not None else "")


MAX_TAGS = 10
MAX_ATTACHMENT_BYTES = 2048
_PARALLEL_POSTS = 16

_STREAM: ContextVar[Callable[[dict[str, Any]], None] | None] = ContextVar(
    "durable_agents_stream", default=None
)


@contextmanager
def streaming(sink: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """While the block runs, :func:`emit` (from this context, and the tool threads that copy it) posts
    to ``sink`` (an object's :meth:`Connections.stream`).

    Args:
        sink: what takes each provisional event.
    """
    token = _STREAM.set(sink)
    try:
        yield
    finally:
        _STREAM.reset(token)


def streaming_active() -> bool:
    """Whether someone streams the current turn (a model may then stream its answer as it writes it)."""
    return _STREAM.get() is not None


def emit(event: dict[str, Any]) -> None:
    """Post a provisional part (``progress``, ``text``) to whoever streams the current turn; nothing when
    nobody does. Never raises: a lost part is confirmed or replaced by the committed event anyway.

    Args:
        event: a JSON-able object with a ``type``.
    """
    sink = _STREAM.get()
    if sink is None:
        return
    try:
        sink(event)
    except Exception:  # noqa: BLE001 - see above
        logger.warning("could not stream a part", exc_info=True)


@dataclass(frozen=True, slots=True)
class Connection:
    """A connection an object accepted: its id, tags and attachment."""

    id: str
    tags: tuple[str, ...]
    attachment: Any


class GoneConnection(Exception):
    """The connection is closed (``@connections`` answered 410)."""


@cache
def management_client(endpoint: str) -> Any:
    """The ``apigatewaymanagementapi`` client of a WebSocket stage's callback URL (one per process)."""
    import boto3

    from .aws import client_config

    return boto3.session.Session().client(
        "apigatewaymanagementapi", endpoint_url=endpoint, config=client_config(max_attempts=2)
    )


@cache
def _posts() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_PARALLEL_POSTS, thread_name_prefix="durable-posts")


def post(endpoint: str, connection_id: str, event: dict[str, Any]) -> None:
    """Post ``event`` as JSON text to one connection.

    Args:
        endpoint: the stage's callback URL (``https://<api>.execute-api.<region>.amazonaws.com/<stage>``).
        connection_id: API Gateway's connection id.
        event: the JSON-able event.

    Raises:
        GoneConnection: the client is gone (410).
    """
    from botocore.exceptions import ClientError

    data = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        management_client(endpoint).post_to_connection(ConnectionId=connection_id, Data=data)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "GoneException":
            raise GoneConnection(connection_id) from None
        raise


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


class Connections:
    """``self.connections`` of an object during a turn (see the module documentation).

    Args:
        storage: the turn's storage of the object.
        endpoint: the ``@connections`` callback URL; empty: nothing is posted (no WebSocket API).
    """

    def __init__(self, storage: Storage, endpoint: str) -> None:
        self._storage = storage
        self._pk = storage._pk
        self._table = storage._table
        self._gen = storage._snapshot.gen
        self._endpoint = endpoint
        self._outbox: list[tuple[str | None, str | None, dict[str, Any]]] = []
        """(connection id, tag, event) to post once the commit lands (tag None and id None: everyone)."""
        self._logged: list[dict[str, Any]] = []
        self._counter: list[int] | None = None
        self._parts = 0
        self._log_item: dict[str, Any] | None = None
        self._audience: dict[str | None, list[str]] = {}
        """The connections streamed to this turn, by tag (read once a turn)."""
        self._lock = threading.Lock()

    # --- connections ---------------------------------------------------------------------------------

    def accept(self, connection_id: str, *, tags: Sequence[str] = (), attachment: Any = None) -> None:
        """Keep ``connection_id`` (written by this turn's commit), found later by its ``tags``.

        Args:
            connection_id: API Gateway's id of the connection.
            tags: at most :data:`MAX_TAGS` strings to find it by.
            attachment: JSON-able data kept with it (at most :data:`MAX_ATTACHMENT_BYTES`).

        Raises:
            ValueError: too many tags, an empty id, or an attachment too large.
        """
        if not connection_id or len(connection_id) > 128:
            raise ValueError("a connection id is 1-128 characters")
        if len(tags) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags")
        text = json.dumps(attachment, separators=(",", ":"))
        if len(text.encode()) > MAX_ATTACHMENT_BYTES:
            raise ValueError(f"an attachment is at most {MAX_ATTACHMENT_BYTES} bytes of JSON")
        now = clock.now_ms()
        self._storage._check_writable()
        self._storage.extra_puts.append(
            {
                "pk": _s(self._pk),
                "sk": _s(connection_sk(self._gen, connection_id)),
                "tags": {"L": [_s(tag) for tag in tags]},
                "att": _s(text),
                "at": _n(now),
                "expires_at": _n(now // 1000 + CONNECTION_TTL_SECONDS),
            }
        )

    def close(self, connection_id: str) -> None:
        """Forget ``connection_id`` (its item is deleted by this turn's commit)."""
        self._storage._check_writable()
        self._storage.extra_deletes.append((self._pk, connection_sk(self._gen, connection_id)))

    def connections(self, tag: str | None = None) -> list[Connection]:
        """The live connections (with ``tag``, when given), read with one ``Query``.

        Args:
            tag: only connections accepted with this tag.

        Returns:
            the connections, oldest first.
        """
        now = clock.now_ms() // 1000
        found: list[Connection] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :ws)",
            "ExpressionAttributeValues": {":pk": _s(self._pk), ":ws": _s(connection_sk(self._gen))},
            "ConsistentRead": True,
        }
        while True:
            response = self._table.client.query(**kwargs)
            for item in response.get("Items", []):
                if int(item["expires_at"]["N"]) <= now:
                    continue
                tags = tuple(value["S"] for value in item["tags"]["L"])
                if tag is None or tag in tags:
                    found.append(
                        Connection(
                            item["sk"]["S"][len(connection_sk(self._gen)) :],
                            tags,
                            json.loads(item["att"]["S"]),
                        )
                    )
            if "LastEvaluatedKey" not in response:
                return found
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- sending ---------------------------------------------------------------------------------------

    def send(self, connection: str | Connection, event: dict[str, Any]) -> None:
        """Post ``event`` to one connection once the commit lands (not logged: it carries the current
        ``seq``, the one it follows, unless it has a ``seq`` of its own: a logged event sent again).

        Args:
            connection: the connection or its id.
            event: a JSON-able object with a ``type``.
        """
        connection_id = connection.id if isinstance(connection, Connection) else connection
        self._outbox.append((connection_id, None, {"seq": self._current()[0], **event}))
        self._gate()

    def broadcast(
        self, event: dict[str, Any], tag: str | None = None, *, logged: dict[str, Any] | None = None
    ) -> int:
        """Post ``event`` to every connection (with ``tag``) once the commit lands; logged for resuming.

        Args:
            event: a JSON-able object with a ``type``.
            tag: only the connections with this tag.
            logged: what the log keeps of it for resuming clients, when not the whole event (a write is
                billed by the KB: leave out what a client can read again elsewhere).

        Returns:
            the event's ``seq``.
        """
        self._storage._check_writable()
        counter = self._current()
        counter[0] += 1
        stamped = {**event, "seq": counter[0]}
        if not self._logged:
            counter[1] += 1
        self._logged.append(stamped if logged is None else {**logged, "seq": counter[0]})
        self._storage.put(COUNTER_KEY, list(counter))
        self._outbox.append((None, tag, stamped))
        self._gate()
        return counter[0]

    def stream(self, event: dict[str, Any], tag: str | None = None) -> None:
        """Post a part of something still being made at once (not gated, not logged), marked provisional.

        Args:
            event: a JSON-able object with a ``type`` (``text``, ``progress``).
            tag: only the connections with this tag.
        """
        with self._lock:
            self._parts += 1
            pending = {**event, "seq": self._current()[0] + 1, "provisional": True, "part": self._parts}
            audience = self._audience.get(tag)
            if audience is None and self._endpoint:
                audience = self._audience[tag] = [c.id for c in self.connections(tag)]
        for connection_id in audience or []:
            self._post_all(connection_id, [pending])

    def withdraw(self, tag: str | None = None) -> None:
        """Tell streaming clients that the parts streamed by this turn will not be committed."""
        if self._parts:
            self._post_many(None, tag, [{"type": "withdrawn", "seq": self._current()[0] + 1}])

    def events_after(self, after: int) -> tuple[list[dict[str, Any]], bool]:
        """The logged broadcast events with ``seq > after``, in order, and whether they are all there.

        Args:
            after: the last ``seq`` the client has.

        Returns:
            the events, and False when some after ``after`` were already overwritten in the ring.
        """
        latest = self._current()[0]
        if after >= latest:
            return [], True
        response = self._table.client.query(
            TableName=self._table.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :ev)",
            ExpressionAttributeValues={":pk": _s(self._pk), ":ev": _s(log_sk(self._gen))},
            ConsistentRead=True,
        )
        events: list[dict[str, Any]] = []
        for item in response.get("Items", []):
            data = item["z"]["B"]
            events.extend(json.loads(zlib.decompress(data if isinstance(data, bytes) else bytes(data))))
        wanted = sorted((event for event in events if after < event["seq"] <= latest), key=lambda e: e["seq"])
        complete = [event["seq"] for event in wanted] == list(range(after + 1, latest + 1))
        return wanted, complete

    # --- the output gate -------------------------------------------------------------------------------

    def checkpoint(self) -> Any:
        """What :meth:`restore` needs to undo what is sent after now (``Storage.transaction``)."""
        counter = list(self._counter) if self._counter is not None else None
        return (list(self._outbox), list(self._logged), counter)

    def restore(self, saved: Any) -> None:
        """Undo what was buffered since :meth:`checkpoint` (``None``: since the turn began)."""
        if saved is None:
            self._outbox, self._logged, self._counter = [], [], None
        else:
            self._outbox, self._logged, self._counter = list(saved[0]), list(saved[1]), saved[2]

    def _current(self) -> list[int]:
        if self._counter is None:
            stored = self._storage.get(COUNTER_KEY)
            self._counter = list(stored) if stored else [0, 0]
        return self._counter

    def _gate(self) -> None:
        if self._deliver not in self._storage.after_commit:
            self._storage.after_commit.append(self._deliver)
        if self._log not in self._storage.before_plan:
            self._storage.before_plan.append(self._log)

    def _log(self) -> None:
        """Make this turn's log item (called as the commit is planned; written once it landed)."""
        if not self._logged or not self._endpoint:
            return
        counter = self._current()
        now = clock.now_ms() // 1000
        data = zlib.compress(json.dumps(self._logged, separators=(",", ":")).encode(), 9)
        self._log_item = {
            "pk": _s(self._pk),
            "sk": _s(log_sk(self._gen, counter[1] % LOG_SLOTS)),
            "b": _n(counter[1]),
            "first": _n(self._logged[0]["seq"]),
            "z": {"B": data},
            "expires_at": _n(now + LOG_TTL_SECONDS),
        }

    def _write_log(self) -> None:
        """Write the log item: a plain ``PutItem`` after the commit (half the price of a transaction's
        write), never over a newer batch in its slot. Lost only if the process dies right here: the
        resuming client then finds a seq missing and is told to reload (``events_after`` says so)."""
        item, self._log_item = self._log_item, None
        if item is None:
            return
        self._table.client.put_item(
            TableName=self._table.name,
            Item=item,
            ConditionExpression="attribute_not_exists(b) OR b < :b",
            ExpressionAttributeValues={":b": item["b"]},
        )

    def _deliver(self) -> None:
        """Write the log, then post the buffered events (called once the commit landed)."""
        try:
            self._write_log()
        except Exception:  # noqa: BLE001 - the events still go out; a resuming client reloads instead
            logger.warning("could not write the event log", exc_info=True)
        outbox, self._outbox = self._outbox, []
        for connection_id, tag, event in outbox:
            self._post_many(connection_id, tag, [event])

    def _post_many(self, connection_id: str | None, tag: str | None, events: list[dict[str, Any]]) -> None:
        if not self._endpoint:
            return
        targets = [connection_id] if connection_id is not None else [c.id for c in self.connections(tag)]
        if len(targets) == 1:
            self._post_all(targets[0], events)
            return
        for future in [_posts().submit(self._post_all, target, events) for target in targets]:
            future.result()

    def _post_all(self, connection_id: str, events: Iterable[dict[str, Any]]) -> None:
        for event in events:
            try:
                post(self._endpoint, connection_id, event)
            except GoneConnection:
                self._table.client.delete_item(
                    TableName=self._table.name,
                    Key={"pk": _s(self._pk), "sk": _s(connection_sk(self._gen, connection_id))},
                )
                return
            except Exception:  # noqa: BLE001 - one client's failure must not fail the others' delivery
                logger.warning("could not post to connection %s", connection_id, exc_info=True)
                return


def connections_of(storage: Storage, endpoint: str) -> Connections:
    """The :class:`Connections` of ``storage``'s object for this turn (one per storage)."""
    existing: Connections | None = getattr(storage, "_connections", None)
    if existing is None:
        existing = Connections(storage, endpoint)
        storage._connections = existing
    return existing


def withdraw_streamed(storage: Storage) -> None:
    """A turn on ``storage`` failed: withdraw whatever it streamed (nothing else it sent is posted)."""
    existing: Connections | None = getattr(storage, "_connections", None)
    if existing is not None:
        try:
            existing.withdraw()
        except Exception:  # noqa: BLE001 - the turn's own error is the one to report
            logger.warning("could not withdraw streamed parts", exc_info=True)


def run_after_commit(callbacks: Sequence[Callable[[], None]]) -> None:
    """Run what a committed turn left to do (post its events); a failure is logged, never raised: the
    commit has landed, so the caller must not be told that the turn failed."""
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - see above
            logger.warning("a committed turn could not post its events", exc_info=True)
