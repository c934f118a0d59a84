"""An object's storage during one turn: the Durable Object storage API over the layout of ``table.py``.

Reads come from the STATE item the turn's acquire returned (the hot set and the recent history, no
request), the turn's own writes, and value items read on demand (one request for all the keys a
``get`` needs; ``list`` pages through them with ``Query``). Writes are buffered and committed together
when the turn ends, in the same request that releases the lease; an exception in the turn discards
them all, like a Durable Object's output gate.

Where a value lives is decided at commit (:meth:`Storage.plan`), so that the STATE item stays within
:data:`~durable_agents.runtime.table.STATE_ITEM_BYTES` whatever the object holds:

- a small value (key and JSON within :data:`HOT_ENTRY_BYTES`) that is new (the key filter of
  :mod:`~durable_agents.runtime.keyfilter` says it has no item, or a read found none) or already hot
  stays in the STATE item's hot set; when the set passes :data:`HOT_SET_BYTES`, the least recently
  written values move to items of their own (a key lives in exactly one place: hot, or its own item);
- anything else has its own item (large ones in chunks), written only when the turn writes it;
- new history entries of at most :data:`TAIL_ENTRY_BYTES` join the STATE item's tail; when it is full
  the tail moves to a page (before the commit, as a write of already-committed entries, unless the
  commit is a transaction anyway); larger entries go to a page in the commit.

So a turn costs what it changes: a counter turn rewrites one small item, and a value or history entry
the turn does not touch is neither read nor written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, overload

from . import codec
from .errors import InvalidKey, InvalidValue, TurnTooLarge
from .keyfilter import KeyFilter
from .table import (
    STATE_ITEM_BYTES,
    Close,
    StateSnapshot,
    StateTable,
    StoredValue,
    page_items,
    purge_marker,
    value_item_keys,
    value_items,
)

MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 3_000_000
MAX_HISTORY_ENTRY_BYTES = 350_000
HOT_ENTRY_BYTES = 400
"""A value whose key and JSON together are at most this many bytes may live in the STATE item."""
HOT_SET_BYTES = STATE_ITEM_BYTES - 256
"""The STATE item with its hot set but no tail stays within this: the rest is room for new history
entries, so a turn that appends one never has to move a value out."""
TAIL_ENTRY_BYTES = 200
"""A history entry of at most this many bytes may wait in the STATE item's tail for its page."""

T = TypeVar("T")


class _Deleted:
    """A buffered delete (distinct from every JSON text)."""


DELETED = _Deleted()
Written = str | _Deleted


def validate_key(key: Any) -> str:
    if not isinstance(key, str):
        raise InvalidKey(f"storage keys are strings, got {type(key).__name__}")
    if not key:
        raise InvalidKey("storage keys must not be empty")
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        raise InvalidKey("storage keys must be valid Unicode (no lone surrogates)") from None
    if size > MAX_KEY_BYTES:
        raise InvalidKey(f"storage keys are at most {MAX_KEY_BYTES} UTF-8 bytes")
    return key


def _encode_value(value: Any) -> str:
    text = codec.encode(value)
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise InvalidValue(f"a stored value is at most {MAX_VALUE_BYTES} bytes of JSON")
    return text


def _entry_size(key: str, text: str) -> int:
    return len(key.encode()) + len(text.encode())


def _prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (``None``: no bound)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


class ReadOnlyStorageError(RuntimeError):
    """A read-only method (``@rpc(read_only=True)``) tried to write."""


@dataclass(slots=True)
class Plan:
    """What one object's turn writes at commit (see :meth:`Storage.plan`)."""

    close: Close
    puts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[tuple[str, str]] = field(default_factory=list)
    pre_puts: list[dict[str, Any]] = field(default_factory=list)


class History:
    """An append-only log of entries (a conversation history), numbered from 1.

    ``append`` is buffered like every write. ``recent(n)`` and ``list`` are served from the entries the
    STATE item holds (the newest, usually) and read older ones from their pages with one ``Query``;
    neither ever loads the whole log.
    """

    def __init__(self, storage: Storage):
        self._storage = storage
        self._pending: list[str] = []

    def __len__(self) -> int:
        return self._storage._seq + len(self._pending)

    def append(self, entry: Any) -> int:
        """Buffer ``entry`` (JSON-able or a pydantic model); return its sequence number."""
        self._storage._check_writable()
        text = codec.encode(entry)
        if len(text.encode()) > MAX_HISTORY_ENTRY_BYTES:
            raise InvalidValue(f"a history entry is at most {MAX_HISTORY_ENTRY_BYTES} bytes of JSON")
        self._pending.append(text)
        return len(self)

    def recent(self, n: int) -> list[Any]:
        """The last ``n`` entries, oldest first."""
        return [entry for _, entry in self.list(limit=n, reverse=True)][::-1]

    def list(
        self, *, start: int = 1, end: int | None = None, limit: int | None = None, reverse: bool = False
    ) -> list[tuple[int, Any]]:
        """``(seq, entry)`` pairs with ``start <= seq < end``, in order (or reversed), at most ``limit``."""
        if limit is not None and limit <= 0:
            return []
        last = len(self) if end is None else min(end - 1, len(self))
        first = max(start, 1)
        if first > last:
            return []
        wanted = range(last, first - 1, -1) if reverse else range(first, last + 1)
        if limit is not None:
            wanted = wanted[:limit]
        known = self._in_memory()
        missing = [seq for seq in wanted if seq not in known]
        if missing:
            storage = self._storage
            known.update(
                storage._table.query_history(storage._pk, storage._gen, first=min(missing), last=max(missing))
            )
        return [(seq, codec.decode(known[seq])) for seq in wanted if seq in known]

    def _in_memory(self) -> dict[int, str]:
        storage = self._storage
        held = {storage._paged + 1 + i: text for i, text in enumerate(storage._tail)}
        held.update({storage._seq + 1 + i: text for i, text in enumerate(self._pending)})
        return held


class Storage:
    """Key/value storage of one object for one turn (the names of Durable Object storage)."""

    def __init__(self, table: StateTable, pk: str, snapshot: StateSnapshot, *, read_only: bool = False):
        self._table = table
        self._pk = pk
        self._snapshot = snapshot
        self._read_only = read_only
        self._writes: dict[str, Written] = {}
        self._fetched: dict[str, StoredValue | None] = {}
        """Value items read this turn (``None``: the key has no item)."""
        self._wiped = False
        self._gen = snapshot.gen
        self._seq = snapshot.seq
        self._paged = snapshot.paged
        self._tail: list[str] = list(snapshot.tail)
        self._own = KeyFilter.stored(snapshot.own, owner=pk)
        self._alarm: tuple[int, int] | None = (
            (snapshot.alarm, snapshot.alarm_retry) if snapshot.alarm is not None else None
        )
        self._alarm_changed = False
        self.read_version = 0
        """The newest version among the value items this turn read (read-only turns validate it)."""
        self.read_items = False
        """Whether this turn read anything besides the STATE item (read-only turns then validate)."""
        self.read_keys: list[str] = []
        """The keys this turn needed from their own items (the next turn of the method prefetches them)."""
        self.history = History(self)
        self.extra_puts: list[dict[str, Any]] = []
        """Items a runtime feature (connections, their event log) writes in this turn's commit."""
        self.extra_deletes: list[tuple[str, str]] = []
        self.before_plan: list[Callable[[], None]] = []
        """Called as the commit is planned (they may still add writes)."""
        self.after_commit: list[Callable[[], None]] = []
        """Called once this turn's commit landed (posting what it sent: the output gate)."""
        self._connections: Any = None

    # --- reads ------------------------------------------------------------------------------------------

    @overload
    def get(self, key: str) -> Any: ...
    @overload
    def get(self, key: Iterable[str]) -> dict[str, Any]: ...

    def get(self, key: str | Iterable[str]) -> Any:
        """The value of ``key`` (``None`` if absent), or ``{key: value}`` of the keys that exist."""
        if isinstance(key, str):
            return self._read([validate_key(key)]).get(key)
        keys = [validate_key(k) for k in _as_list(key)]
        return self._read(keys)

    def list(
        self,
        *,
        prefix: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        """Entries in key order: keys beginning with ``prefix``, ``start <= key < end``, at most ``limit``."""
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise ValueError("limit must be a non-negative integer")
        low = max(start or "", prefix or "")
        bounds = [bound for bound in (end, _prefix_end(prefix) if prefix else None) if bound is not None]
        high = min(bounds) if bounds else None
        out: dict[str, Any] = {}
        if limit == 0:
            return out
        for key, text in self._listed(low, high, reverse, limit):
            if prefix is not None and not key.startswith(prefix):
                continue
            out[key] = codec.decode(text)
            if limit is not None and len(out) == limit:
                break
        return out

    def _listed(
        self, low: str, high: str | None, reverse: bool, limit: int | None
    ) -> Iterator[tuple[str, str]]:
        """``(key, JSON)`` of every live key in ``[low, high)``, in order: what this turn holds in memory
        (the hot set, its writes) merged with the value items, streamed page by page."""

        def in_range(key: str) -> bool:
            return key >= low and (high is None or key < high)

        memory: dict[str, Written] = {}
        if not self._wiped:
            memory.update({k: v for k, v in self._snapshot.hot.items() if in_range(k)})
        memory.update({k: v for k, v in self._writes.items() if in_range(k)})
        ordered = sorted(memory, reverse=reverse)
        deleted = sum(1 for k in ordered if memory[k] is DELETED)
        # with a limit, ask for about as many items as can be needed; without, DynamoDB's 1 MB pages
        page = None if limit is None else limit + deleted + 1
        stored: Iterator[tuple[str, StoredValue]] = (
            iter(())
            if self._wiped or self._own.empty  # no key has ever had an item of its own
            else self._table.query_values(self._pk, self._gen, low=low, high=high, reverse=reverse, page=page)
        )
        index = 0
        for key, value in stored:
            self.read_items = True
            self.read_version = max(self.read_version, value.version)
            self._fetched.setdefault(key, value)
            while index < len(ordered) and (ordered[index] > key if reverse else ordered[index] < key):
                if not isinstance(memory[ordered[index]], _Deleted):
                    yield ordered[index], memory[ordered[index]]  # type: ignore[misc]
                index += 1
            if key in memory:
                continue  # this turn's write (or a hot value) wins; it comes in the memory order
            yield key, value.text
        for key in ordered[index:]:
            if not isinstance(memory[key], _Deleted):
                yield key, memory[key]  # type: ignore[misc]

    # --- writes -------------------------------------------------------------------------------------------

    @overload
    def put(self, key: str, value: Any) -> None: ...
    @overload
    def put(self, key: Mapping[str, Any]) -> None: ...

    def put(self, key: str | Mapping[str, Any], value: Any = None) -> None:
        """Store ``value`` under ``key``, or every pair of a mapping. Buffered until the turn commits."""
        self._check_writable()
        pairs = key.items() if isinstance(key, Mapping) else [(key, value)]
        encoded = {validate_key(k): _encode_value(v) for k, v in pairs}
        for k, text in encoded.items():
            self._writes.pop(k, None)  # the newest write is the most recently written
            self._writes[k] = text

    @overload
    def delete(self, key: str) -> bool: ...
    @overload
    def delete(self, key: Iterable[str]) -> int: ...

    def delete(self, key: str | Iterable[str]) -> bool | int:
        """Delete ``key`` (returns whether it existed) or several keys (returns how many existed)."""
        self._check_writable()
        keys = [validate_key(key)] if isinstance(key, str) else [validate_key(k) for k in _as_list(key)]
        existing = self._read(keys, decode=False)
        for k in keys:
            self._writes.pop(k, None)
            self._writes[k] = DELETED
        return bool(existing) if isinstance(key, str) else len(existing)

    def delete_all(self) -> None:
        """Delete every key and the whole history (committed with the turn; old items are reaped later)."""
        self._check_writable()
        self._wiped = True
        self._writes.clear()
        self._fetched.clear()
        self._seq = self._paged = 0
        self._tail = []
        self.history._pending.clear()

    def transaction(self, fn: Callable[[Storage], T]) -> T:
        """Run ``fn(storage)``; if it raises, undo the writes it made (and any alarm it set) and re-raise."""
        self._check_writable()
        saved = (
            dict(self._writes),
            self._wiped,
            self._seq,
            self._paged,
            list(self._tail),
            list(self.history._pending),
            self._alarm,
            self._alarm_changed,
        )
        extras = (
            list(self.extra_puts),
            list(self.extra_deletes),
            list(self.before_plan),
            list(self.after_commit),
        )
        connections = self._connections.checkpoint() if self._connections is not None else None
        try:
            return fn(self)
        except BaseException:
            self.extra_puts, self.extra_deletes, self.before_plan, self.after_commit = extras
            if self._connections is not None:
                self._connections.restore(connections)
            (
                self._writes,
                self._wiped,
                self._seq,
                self._paged,
                self._tail,
                self.history._pending,
                self._alarm,
                self._alarm_changed,
            ) = saved
            raise

    # --- the alarm (one per object, as a Durable Object's) -------------------------------------------------

    def get_alarm(self) -> int | None:
        """When the object's alarm is due (epoch milliseconds), or ``None``."""
        return self._alarm[0] if self._alarm is not None else None

    def set_alarm(self, when: int | float | datetime) -> None:
        """Have the runtime call the object's ``alarm(info)`` at ``when`` (epoch ms, or an aware
        datetime), replacing any alarm already set. Part of the turn: it is set when the turn commits.
        At most :data:`~durable_agents.runtime.alarms.MAX_AHEAD_DAYS` ahead (else :class:`InvalidValue`)."""
        self._check_writable()
        if isinstance(when, datetime):
            if when.tzinfo is None:
                raise InvalidValue("an alarm's time must be timezone-aware (or epoch milliseconds)")
            due = int(when.timestamp() * 1000)
        elif isinstance(when, (int, float)) and not isinstance(when, bool) and when == when:
            due = int(when)
        else:
            raise InvalidValue(f"an alarm's time is epoch milliseconds or an aware datetime, got {when!r}")
        if not 0 <= due < 2**53:
            raise InvalidValue("an alarm's time must be epoch milliseconds")
        from . import clock
        from .alarms import check_ahead

        self._set_alarm(check_ahead(due, clock.now_ms()), 0)

    def delete_alarm(self) -> None:
        """Cancel the object's alarm (part of the turn)."""
        self._check_writable()
        if self._alarm is not None:
            self._alarm, self._alarm_changed = None, True

    def _set_alarm(self, due: int, retry: int) -> None:
        self._alarm, self._alarm_changed = (due, retry), True

    # --- the turn's view -------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return bool(
            self._writes
            or self._wiped
            or self.history._pending
            or self._alarm_changed
            or self.extra_puts
            or self.extra_deletes
            or self.after_commit
        )

    def _check_writable(self) -> None:
        if self._read_only:
            raise ReadOnlyStorageError("this method is read-only (@rpc(read_only=True)); it cannot write")

    def _read(self, keys: Sequence[str], *, decode: bool = True) -> dict[str, Any]:
        """``{key: value}`` (or JSON when not ``decode``) of the keys that exist, in ``keys`` order."""
        texts: dict[str, str] = {}
        missing: list[str] = []
        for k in keys:
            written = self._writes.get(k)
            if isinstance(written, _Deleted):
                continue
            if isinstance(written, str):
                texts[k] = written
            elif self._wiped:
                continue
            elif k in self._snapshot.hot:
                texts[k] = self._snapshot.hot[k]
            elif k in self._fetched:
                fetched = self._fetched[k]
                if fetched is not None:
                    texts[k] = fetched.text
                    self.read_keys.append(k)
            elif not self._own.may_contain(k):
                self._fetched[k] = None  # certainly no item: nothing to read
            elif k not in missing:
                missing.append(k)
        if missing:
            self.read_keys += missing
            for k, value in self._fetch(missing).items():
                if value is not None:
                    texts[k] = value.text
        ordered = [k for k in dict.fromkeys(keys) if k in texts]
        return {k: codec.decode(texts[k]) if decode else texts[k] for k in ordered}

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read ``keys`` from their own items now, in one request, so that the turn's ``get`` s find them
        (the runtime passes the keys the method's previous turn had to read)."""
        wanted = [
            k
            for k in dict.fromkeys(keys)
            if k not in self._writes
            and k not in self._fetched
            and k not in self._snapshot.hot
            and not self._wiped
            and self._own.may_contain(k)
        ]
        if wanted:
            self._fetch(wanted)

    def _fetch(self, keys: Sequence[str]) -> dict[str, StoredValue | None]:
        found = self._table.get_values(self._pk, self._gen, keys)
        self.read_items = True
        out: dict[str, StoredValue | None] = {}
        for k in keys:
            value = out[k] = self._fetched[k] = found.get(k)
            if value is not None:
                self.read_version = max(self.read_version, value.version)
        return out

    # --- the commit --------------------------------------------------------------------------------------

    def plan(self, *, owner: str, fence: int, retention_ms: int, now: int) -> Plan:
        """What this turn writes: the STATE item's new contents and the items around it (see the module
        documentation for where each value and entry goes). The object expires ``retention_ms`` after
        this change or after its alarm, whichever is later: an object is never deleted with an alarm
        still to come."""
        for prepare in self.before_plan:
            prepare()
        snapshot = self._snapshot
        expires_at = (max(now, self._alarm[0] if self._alarm is not None else 0) + retention_ms) // 1000
        gen = snapshot.gen
        plan = Plan(close=Close(pk=self._pk, owner=owner, fence=fence, snapshot=snapshot))
        version = plan.close.version
        hot: dict[str, str] = {}
        tail: list[str] = []
        paged = seq = 0
        owned = KeyFilter()
        if self._wiped:
            plan.puts.append(purge_marker(self._pk, gen, now))
            gen = max(gen + 1, now)
        else:
            hot = dict(snapshot.hot)
            tail, paged, seq = list(snapshot.tail), snapshot.paged, snapshot.seq
            owned = self._own.copy()

        def own(key: str, text: str) -> None:
            items = value_items(self._pk, gen, key, text, version)
            plan.puts.extend(items)
            owned.add([key])
            before = self._fetched.get(key)
            for sk in value_item_keys(gen, key, before.chunks if before else 1)[len(items) :]:
                plan.deletes.append((self._pk, sk))

        for key, written in self._writes.items():
            if isinstance(written, _Deleted):
                if hot.pop(key, None) is None and not self._wiped:
                    before = self._fetched.get(key)
                    if before is not None:
                        plan.deletes += [(self._pk, sk) for sk in value_item_keys(gen, key, before.chunks)]
                continue
            small = _entry_size(key, written) <= HOT_ENTRY_BYTES
            known_absent = (
                self._wiped
                or (key in self._fetched and self._fetched[key] is None)
                or not owned.may_contain(key)
            )
            if key in hot or (small and known_absent):
                hot.pop(key, None)
                if small:
                    hot[key] = written  # most recently written last
                    continue
            own(key, written)

        pending = self.history._pending
        seq_after = seq + len(pending)
        if any(len(text.encode()) > TAIL_ENTRY_BYTES for text in pending):
            plan.puts += page_items(self._pk, gen, paged + 1, tail + pending)
            tail, paged = [], seq_after
        else:
            tail = tail + pending

        def close(hot_now: dict[str, str], tail_now: list[str], paged_now: int) -> Close:
            return Close(
                pk=self._pk,
                owner=owner,
                fence=fence,
                snapshot=snapshot,
                seq=seq_after,
                paged=paged_now,
                gen=gen,
                hot=list(hot_now.items()),
                tail=tail_now,
                own=owned.to_bytes() if not owned.empty else b"",
                expires_at=expires_at,
                alarm=self._alarm,
                alarm_changed=self._alarm_changed,
            )

        while hot and close(hot, [], paged).held_size(now) > HOT_SET_BYTES:
            key = next(iter(hot))  # the least recently written value moves to an item of its own
            own(key, hot.pop(key))
        plan.close = close(hot, tail, paged)
        if plan.close.held_size(now) > STATE_ITEM_BYTES and len(tail) > len(pending):
            # the tail is full: its committed entries move to a page (before the commit, as their own
            # write, unless the commit is a transaction anyway)
            committed = tail[: len(tail) - len(pending)]
            (plan.puts if plan.puts or plan.deletes else plan.pre_puts).extend(
                page_items(self._pk, gen, paged + 1, committed)
            )
            tail, paged = tail[len(committed) :], paged + len(committed)
            plan.close = close(hot, tail, paged)
        if plan.close.held_size(now) > STATE_ITEM_BYTES and tail:
            plan.puts += page_items(self._pk, gen, paged + 1, tail)
            tail, paged = [], seq_after
            plan.close = close(hot, tail, paged)
        while plan.close.held_size(now) > STATE_ITEM_BYTES and hot:
            key = next(iter(hot))  # the least recently written value moves to an item of its own
            own(key, hot.pop(key))
            plan.close = close(hot, tail, paged)
        if plan.close.held_size(now) > STATE_ITEM_BYTES:
            raise TurnTooLarge(f"the STATE item of {self._pk} cannot be kept within {STATE_ITEM_BYTES} bytes")
        plan.puts += self.extra_puts
        plan.deletes += self.extra_deletes
        if plan.pre_puts and (plan.puts or plan.deletes):
            plan.puts += plan.pre_puts  # a transaction anyway: the page goes into it
            plan.pre_puts = []
        return plan


def _as_list(keys: Iterable[str]) -> list[str]:
    if isinstance(keys, (bytes, Mapping)):
        raise InvalidKey("keys must be a string or an iterable of strings")
    try:
        return list(keys)
    except TypeError:
        raise InvalidKey(f"storage keys are strings, got {type(keys).__name__}") from None
