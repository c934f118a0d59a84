"""An object's storage during one turn: the Durable Object storage API over a buffered DynamoDB state.

Reads come from the state loaded when the turn took the lease (no request) plus the turn's own
writes; writes are buffered and committed together when the turn ends, in the same request that
releases the lease. An exception in the turn discards them all, like a Durable Object's output gate.

Small values live inline in the object's ``STATE`` item; a value over :data:`INLINE_VALUE_BYTES` is
stored in chunked items of its own and read on demand (one extra request for all such values a read
needs). The conversation-style log lives in :class:`History`, one item per entry, so its length never
affects a turn's cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

from . import codec
from .errors import InvalidKey, InvalidValue, TurnTooLarge
from .table import (
    Commit,
    StateSnapshot,
    StateTable,
    chunk_sk,
    history_sk,
    now_ms,
    purge_sk,
    value_sk,
)

MAX_KEY_BYTES = 512
INLINE_VALUE_BYTES = 4 * 1024
CHUNK_BYTES = 350_000
MAX_VALUE_BYTES = 3_000_000
MAX_HISTORY_ENTRY_BYTES = 350_000
TAIL_ENTRIES = 20
TAIL_ENTRY_BYTES = 4 * 1024
STATE_ITEM_BUDGET_BYTES = 300_000

_DELETED = object()
T = TypeVar("T")

Marker = dict[str, int]


def validate_key(key: Any) -> str:
    if not isinstance(key, str):
        raise InvalidKey(f"storage keys are strings, got {type(key).__name__}")
    if not key:
        raise InvalidKey("storage keys must not be empty")
    if len(key.encode()) > MAX_KEY_BYTES:
        raise InvalidKey(f"storage keys are at most {MAX_KEY_BYTES} UTF-8 bytes")
    return key


def _encode_value(value: Any) -> str:
    text = codec.encode(value)
    if len(text.encode()) > MAX_VALUE_BYTES:
        raise InvalidValue(f"a stored value is at most {MAX_VALUE_BYTES} bytes of JSON")
    return text


def _chunks(text: str) -> list[bytes]:
    data = text.encode()
    return [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]


class ReadOnlyStorageError(RuntimeError):
    """A read-only method (``@rpc(read_only=True)``) tried to write."""


class History:
    """An append-only log of entries (a conversation history), numbered from 1.

    ``append`` is buffered like every write. ``recent(n)`` is served from the entries kept inline in
    the state item when they cover the request (the usual case), else with one query; ``list`` reads
    any range. Neither ever loads the whole log.
    """

    def __init__(self, storage: Storage):
        self._storage = storage
        self._pending: list[str] = []

    def __len__(self) -> int:
        return self._storage._last_seq + len(self._pending)

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
        storage = self._storage
        last = len(self) if end is None else min(end - 1, len(self))
        first = max(start, 1)
        if first > last:
            return []
        known = dict(self._in_memory())
        wanted = range(last, first - 1, -1) if reverse else range(first, last + 1)
        if limit is not None:
            wanted = wanted[:limit]
        missing = [seq for seq in wanted if seq not in known]
        if missing:
            fetched = storage._table.query_history(
                storage._pk,
                storage._gen,
                first=min(missing),
                last=max(missing),
                limit=None,
                reverse=reverse,
            )
            known.update(fetched)
        return [(seq, codec.decode(known[seq])) for seq in wanted if seq in known]

    def _in_memory(self) -> list[tuple[int, str]]:
        base = self._storage._last_seq
        return list(self._storage._tail) + [(base + i + 1, text) for i, text in enumerate(self._pending)]

    def _commit_tail(self) -> list[tuple[int, str]]:
        """The suffix of the log to keep inline after this turn: recent, small, contiguous."""
        tail: list[tuple[int, str]] = []
        for seq, text in reversed(self._in_memory()):
            if len(tail) == TAIL_ENTRIES or len(text.encode()) > TAIL_ENTRY_BYTES:
                break
            tail.append((seq, text))
        return tail[::-1]


class Storage:
    """Key/value storage of one object for one turn (the names of Durable Object storage)."""

    def __init__(self, table: StateTable, pk: str, snapshot: StateSnapshot, *, read_only: bool = False):
        self._table = table
        self._pk = pk
        self._snapshot = snapshot
        self._read_only = read_only
        self._writes: dict[str, str | object] = {}
        self._loaded: dict[str, str] = {}
        self._wiped = False
        self._gen = snapshot.gen
        self._last_seq = snapshot.last_seq
        self._tail: list[tuple[int, str]] = list(snapshot.tail)
        self.history = History(self)

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
        keys = sorted(k for k in self._current_keys() if _in_range(k, prefix, start, end))
        if reverse:
            keys.reverse()
        if limit is not None:
            keys = keys[:limit]
        found = self._read(keys)
        return {k: found[k] for k in keys if k in found}

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
        self._writes.update(encoded)

    @overload
    def delete(self, key: str) -> bool: ...
    @overload
    def delete(self, key: Iterable[str]) -> int: ...

    def delete(self, key: str | Iterable[str]) -> bool | int:
        """Delete ``key`` (returns whether it existed) or several keys (returns how many existed)."""
        self._check_writable()
        keys = [validate_key(key)] if isinstance(key, str) else [validate_key(k) for k in _as_list(key)]
        existed = 0
        for k in keys:
            existed += self._has(k)
            self._writes[k] = _DELETED
        return bool(existed) if isinstance(key, str) else existed

    def delete_all(self) -> None:
        """Delete every key and the whole history (committed with the turn; old items are reaped later)."""
        self._check_writable()
        self._wiped = True
        self._writes.clear()
        self._loaded.clear()
        self._last_seq = 0
        self._tail = []
        self.history._pending.clear()

    def transaction(self, fn: Callable[[Storage], T]) -> T:
        """Run ``fn(storage)``; if it raises, undo the writes it made and re-raise."""
        self._check_writable()
        saved = (dict(self._writes), self._wiped, self._last_seq, list(self._tail), list(self.history._pending))
        try:
            return fn(self)
        except BaseException:
            self._writes, self._wiped, self._last_seq, self._tail, self.history._pending = saved
            raise

    # --- the turn's view -------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return bool(self._writes or self._wiped or self.history._pending)

    def _check_writable(self) -> None:
        if self._read_only:
            raise ReadOnlyStorageError("this method is read-only (@rpc(read_only=True)); it cannot write")

    def _base_kv(self) -> Mapping[str, str | Marker]:
        """The committed keys this turn still sees (read-only: writes go to ``_writes``)."""
        return {} if self._wiped else self._snapshot.kv

    def _has(self, key: str) -> bool:
        written = self._writes.get(key)
        if written is not None:
            return written is not _DELETED
        return key in self._base_kv()

    def _current_keys(self) -> set[str]:
        keys = set(self._base_kv())
        for k, v in self._writes.items():
            if v is _DELETED:
                keys.discard(k)
            else:
                keys.add(k)
        return keys

    def _read(self, keys: list[str]) -> dict[str, Any]:
        base = self._base_kv()
        texts: dict[str, str] = {}
        large: dict[str, Marker] = {}
        for k in keys:
            written = self._writes.get(k)
            if written is _DELETED:
                continue
            if isinstance(written, str):
                texts[k] = written
            elif k in self._loaded:
                texts[k] = self._loaded[k]
            elif isinstance(base.get(k), str):
                texts[k] = base[k]  # type: ignore[assignment]
            elif isinstance(base.get(k), dict):
                large[k] = base[k]  # type: ignore[assignment]
        if large:
            fetched = self._table.read_values(self._pk, self._gen, large)
            self._loaded.update(fetched)
            texts.update(fetched)
        return {k: codec.decode(texts[k]) for k in keys if k in texts}

    def build_commit(
        self,
        *,
        turn_id: str,
        owner: str,
        fence: int,
        expires_at: int,
        done: Mapping[str, Mapping[str, Any]],
    ) -> Commit:
        """The :class:`Commit` that makes this turn's writes durable."""
        old_kv = dict(self._snapshot.kv)
        gen = self._snapshot.gen
        puts: list[dict[str, Any]] = []
        deletes: list[str] = []
        if self._wiped:
            puts.append({"sk": {"S": purge_sk(gen)}, "at": {"N": str(now_ms())}})
            gen = max(gen + 1, now_ms())
            old_kv = {}
        kv = dict(old_kv)
        for key, text in self._writes.items():
            old = old_kv.get(key)
            old_chunks = old["n"] if isinstance(old, dict) else 0
            new_chunks = 0
            if text is _DELETED:
                kv.pop(key, None)
            elif len(text.encode()) <= INLINE_VALUE_BYTES:  # type: ignore[union-attr]
                kv[key] = text  # type: ignore[assignment]
            else:
                parts = _chunks(text)  # type: ignore[arg-type]
                new_chunks = len(parts)
                kv[key] = {"n": new_chunks}
                for index, part in enumerate(parts):
                    sk = value_sk(gen, key) if index == 0 else chunk_sk(gen, key, index)
                    puts.append({"sk": {"S": sk}, "b": {"B": part}})
            for index in range(new_chunks, old_chunks):
                deletes.append(value_sk(gen, key) if index == 0 else chunk_sk(gen, key, index))
        first_new = self._last_seq + 1
        stamp = str(now_ms())
        for offset, text in enumerate(self.history._pending):
            sk = history_sk(gen, first_new + offset)
            puts.append({"sk": {"S": sk}, "v": {"S": text}, "at": {"N": stamp}})
        tail = self.history._commit_tail()
        size = sum(len(k) + (len(v) if isinstance(v, str) else 16) for k, v in kv.items())
        size += sum(len(text) + 16 for _, text in tail) + sum(len(k) + len(v["r"]) for k, v in done.items())
        if size > STATE_ITEM_BUDGET_BYTES:
            raise TurnTooLarge(
                f"the object's inline state would be {size} bytes (budget {STATE_ITEM_BUDGET_BYTES}); "
                "keep fewer keys or put logs in storage.history"
            )
        return Commit(
            turn_id=turn_id,
            owner=owner,
            fence=fence,
            version=self._snapshot.version + 1,
            gen=gen,
            last_seq=len(self.history),
            kv=kv,
            tail=tail,
            done=done,
            expires_at=expires_at,
            puts=puts,
            deletes=deletes,
        )


def _as_list(keys: Iterable[str]) -> list[str]:
    if isinstance(keys, (bytes, Mapping)):
        raise InvalidKey("keys must be a string or an iterable of strings")
    try:
        return list(keys)
    except TypeError:
        raise InvalidKey(f"storage keys are strings, got {type(keys).__name__}") from None


def _in_range(key: str, prefix: str | None, start: str | None, end: str | None) -> bool:
    if prefix is not None and not key.startswith(prefix):
        return False
    if start is not None and key < start:
        return False
    return end is None or key < end
