"""The state table: every object's item layout, and every DynamoDB request the runtime makes.

One partition per object (``pk = "<NAMESPACE>#<id>"``). DynamoDB bills a write on the larger of the
item's size before and after it, so the layout keeps what every turn touches in one small item and
everything else in items a turn reads or writes only when it uses them:

``STATE`` (never over :data:`STATE_ITEM_BYTES`: an acquire, a commit and a waiter's failed acquire
cost 1 WCU each, at any state size)
    the lease: ``owner`` (S), ``lease_until`` (N, epoch ms), ``fence`` (N, +1 on every acquire);
    epochs: ``ver`` (N, +1 on every commit *and* release), ``cf`` (N, the fence that closed ``ver``),
    ``slk`` (L of ``[ver, slack]``: when the slack ``cf - ver`` changed, i.e. after a lease was taken
    over; see :func:`closed_by`); layout: ``gen`` (N, the generation), ``seq`` (N, history length),
    ``paged`` (N, history in pages up to here); the hot set: ``kv`` (L of S: key, JSON, key, JSON, ...,
    least recently written first; small values kept inline) and ``tail`` (L of S: history entries
    ``paged+1 .. seq``); ``own`` (B, a Bloom filter of the keys that have value items: see
    :mod:`~durable_agents.runtime.keyfilter`); ``expires_at`` (N, TTL seconds: the retention after the
    last commit or the alarm, whichever is later; set by a new object's first acquire) and
    ``closed_at`` (N, ms); the alarm, when one is set: ``alarm`` (N, when it is due, epoch ms),
    ``alarm_shard`` (S, one of :data:`ALARM_SHARDS`) and ``alarm_retry`` (N): the keys of the sparse
    ``alarms`` index the sweeper reads (see :mod:`~durable_agents.runtime.alarms`).
``G<gen>#K#<key>``
    a value not in the hot set: ``v`` (S, JSON), or above :data:`CHUNK_BYTES` ``b`` (B, the first
    chunk) and ``n`` (N, chunks); ``ver`` (N, the version that wrote it).
``G<gen>#C#<key>#<i>``
    continuation chunk ``i`` of a large value (``b``).
``G<gen>#H#<first>``
    a page of history entries ``first, first+1, ...`` (``e``: L of S, at most :data:`PAGE_MAX_ENTRIES`);
    written once, never changed.
``I#<key>``
    an idempotency record: ``fp`` (S, the request's fingerprint), ``turn`` (S), ``at`` (N, ms),
    ``expires_at`` (N, its own TTL), and the response: ``r`` (S) when short; above
    :data:`RECORD_COMPRESS_BYTES` zlib-compressed (JSON shrinks 3-5x, and a write is billed by the KB),
    as ``z`` (B), or ``rn`` (N) chunks in ``I#<key>#<i>`` (``b``) when even that is large. Outside
    the generations: a key is honoured for its whole window, however
    many calls come after it, and even across ``delete_all``. A *claim* is such a record written on
    its own, without the object's lease (:meth:`StateTable.claim`: one conditional ``PutItem``, ``r`` =
    ``null``): a key a call on *another* object claimed here, so that one key is one request across
    the objects that claim in this one (see :class:`~durable_agents.runtime.turn.KeyClaim`).
``PURGE#<gen>``
    written by ``delete_all``: the reaper deletes the items of generations ``<= gen``.

A new object's generation is its creation time in milliseconds and ``delete_all`` moves to a newer
one, so the items of an expired or wiped incarnation never mix with the current one's.

Every method here is one DynamoDB request, except where it says otherwise (paging, chunks, retries).
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import clock
from .errors import CommitOutcomeUnknown, LeaseLost, ServiceUnavailable, TurnTooLarge
from .sizes import MAX_ITEM_BYTES, MAX_TRANSACTION_BYTES, MAX_TRANSACTION_ITEMS, item_size

STATE_SK = "STATE"
STATE_ITEM_BYTES = 1024
"""The STATE item, lease attributes included, never grows past this (one write unit)."""
CHUNK_BYTES = 350_000
RECORD_COMPRESS_BYTES = 1024
PAGE_MAX_ENTRIES = 100
PAGE_BYTES = 360_000
SLACK_LOG_ENTRIES = 8
TRANSIENT_CANCELLATIONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
COMMIT_ATTEMPTS = 4
ALARM_INDEX = "alarms"
ALARM_SHARDS = 8
"""The alarms index is spread over this many partition keys, so many objects can set alarms at once."""


def alarm_shard(pk: str) -> str:
    """The alarms-index partition of an object (stable: from its key)."""
    return str(int(hashlib.sha256(pk.encode()).hexdigest()[:8], 16) % ALARM_SHARDS)


def value_sk(gen: int, key: str) -> str:
    return f"G{gen}#K#{key}"


def chunk_sk(gen: int, key: str, index: int) -> str:
    return f"G{gen}#C#{key}#{index:04d}"


def page_sk(gen: int, first: int) -> str:
    return f"G{gen}#H#{first:012d}"


def record_sk(key: str) -> str:
    return f"I#{key}"


def record_chunk_sk(key: str, index: int) -> str:
    return f"I#{key}#{index:04d}"


def purge_sk(gen: int) -> str:
    return f"PURGE#{gen:012d}"


# --- attribute values -------------------------------------------------------------------------------


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _num(attr: Mapping[str, Any] | None, default: int = 0) -> int:
    return int(attr["N"]) if attr and "N" in attr else default


def _str(attr: Mapping[str, Any] | None) -> str | None:
    return attr["S"] if attr and "S" in attr else None


def _strings(attr: Mapping[str, Any] | None) -> list[str]:
    return [entry["S"] for entry in (attr or {}).get("L", [])]


def _string_list(values: Sequence[str]) -> dict[str, Any]:
    return {"L": [_s(value) for value in values]}


def _bytes(attr: Mapping[str, Any]) -> bytes:
    data = attr["B"]
    return bytes(data) if not isinstance(data, bytes) else data


def chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]


# --- the STATE item -------------------------------------------------------------------------------------


@dataclass(slots=True)
class StateSnapshot:
    """The decoded ``STATE`` item of one object, as one request returned it."""

    exists: bool
    owner: str | None = None
    until: int | None = None
    fence: int = 0
    ver: int = 0
    cf: int = 0
    slack_log: list[tuple[int, int]] = field(default_factory=list)
    gen: int = 0
    seq: int = 0
    paged: int = 0
    hot: dict[str, str] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)
    own: bytes | None = None
    """The ``own`` attribute's bytes as stored (``None``: no such attribute); judged by
    :meth:`~durable_agents.runtime.keyfilter.KeyFilter.stored` before any use."""
    expires_at: int | None = None
    alarm: int | None = None
    alarm_retry: int = 0

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> StateSnapshot:
        if not item:
            return cls(exists=False)
        flat = _strings(item.get("kv"))
        return cls(
            exists="ver" in item,
            owner=_str(item.get("owner")),
            until=_num(item.get("lease_until")) if "lease_until" in item else None,
            fence=_num(item.get("fence")),
            ver=_num(item.get("ver")),
            cf=_num(item.get("cf")),
            slack_log=[
                (int(entry["L"][0]["N"]), int(entry["L"][1]["N"]))
                for entry in item.get("slk", {}).get("L", [])
            ],
            gen=_num(item.get("gen")),
            seq=_num(item.get("seq")),
            paged=_num(item.get("paged")),
            hot=dict(zip(flat[::2], flat[1::2], strict=True)),
            tail=_strings(item.get("tail")),
            own=_bytes(item["own"]) if "own" in item else None,
            alarm=_num(item.get("alarm")) if "alarm" in item else None,
            alarm_retry=_num(item.get("alarm_retry")),
            expires_at=_num(item.get("expires_at")) if "expires_at" in item else None,
        )

    def held(self, now: int) -> bool:
        """Someone holds the lease at ``now`` (it is set and has not run out)."""
        return self.owner is not None and self.until is not None and self.until >= now


def closed_by(item: Mapping[str, Any] | None, version: int) -> int | None:
    """The fence of the holder that closed epoch ``version`` (committed or released it), from the
    STATE item as it stands now; ``None`` when that can no longer be told.

    Every acquire adds 1 to the fence and every close adds 1 to the version, so ``cf - ver`` (the
    *slack*) grows only when a lease is taken over, never closed by its holder. Each close that
    changes the slack appends ``[ver, slack]`` to ``slk``: the slack at any version is that of the
    last entry at or before it, and ``fence = version + slack``. That tells a holder whose commit's
    response was lost whether the commit landed, however many turns committed after it: only a run of
    more than :data:`SLACK_LOG_ENTRIES` takeovers in between makes it unknowable.
    """
    if not item or _num(item.get("ver")) < version:
        return None
    log = StateSnapshot.from_item(item).slack_log
    if log and log[0][0] > version and len(log) >= SLACK_LOG_ENTRIES:
        return None  # the slack changes before the oldest kept one were trimmed from the log
    slack = 0
    for logged_version, logged_slack in log:
        if logged_version > version:
            break
        slack = logged_slack
    return version + slack


@dataclass(slots=True)
class Close:
    """How one turn closes its epoch on one object's STATE item (a commit, or a bare release)."""

    pk: str
    owner: str
    fence: int
    snapshot: StateSnapshot
    seq: int | None = None
    paged: int | None = None
    gen: int | None = None
    hot: Sequence[tuple[str, str]] | None = None
    tail: Sequence[str] | None = None
    own: bytes | None = None
    expires_at: int | None = None
    """``None`` for a release: only the epoch closes, nothing else changes."""
    alarm: tuple[int, int] | None = None
    """The alarm after this close, ``(due ms, retry count)`` or ``None`` (when ``alarm_changed``)."""
    alarm_changed: bool = False

    @property
    def version(self) -> int:
        return self.snapshot.ver + 1

    def slack_log(self) -> list[tuple[int, int]] | None:
        """The ``slk`` to write, or ``None`` when this close does not change the slack."""
        before = self.snapshot.cf - self.snapshot.ver
        after = self.fence - self.version
        if after == before:
            return None
        return [*self.snapshot.slack_log, (self.version, after)][-SLACK_LOG_ENTRIES:]

    def after_item(self, now: int) -> dict[str, Any]:
        """The STATE item as this close leaves it (for the size budget; the lease attributes excluded)."""
        snapshot = self.snapshot
        item: dict[str, Any] = {
            "pk": _s(self.pk),
            "sk": _s(STATE_SK),
            "fence": _n(self.fence),
            "ver": _n(self.version),
            "cf": _n(self.fence),
            "gen": _n(self.gen if self.gen is not None else snapshot.gen),
            "seq": _n(self.seq if self.seq is not None else snapshot.seq),
            "paged": _n(self.paged if self.paged is not None else snapshot.paged),
            "expires_at": _n(self.expires_at if self.expires_at is not None else (snapshot.expires_at or 0)),
            "closed_at": _n(now),
        }
        log = self.slack_log() or snapshot.slack_log
        if log:
            item["slk"] = {"L": [{"L": [_n(v), _n(s)]} for v, s in log]}
        hot = list(self.hot) if self.hot is not None else list(snapshot.hot.items())
        if hot:
            item["kv"] = _string_list([part for pair in hot for part in pair])
        tail = list(self.tail) if self.tail is not None else snapshot.tail
        if tail:
            item["tail"] = _string_list(tail)
        own = self.own if self.own is not None else snapshot.own
        if own:
            item["own"] = {"B": own}
        alarm = (
            self.alarm
            if self.alarm_changed
            else ((snapshot.alarm, snapshot.alarm_retry) if snapshot.alarm is not None else None)
        )
        if alarm is not None:
            item.update(alarm=_n(alarm[0]), alarm_shard=_s(alarm_shard(self.pk)), alarm_retry=_n(alarm[1]))
        return item

    def held_size(self, now: int) -> int:
        """Bytes of the STATE item while the next turn holds its lease (this close's item + a lease)."""
        lease = {"owner": _s(self.owner), "lease_until": _n(now + 10**8)}
        return item_size({**self.after_item(now), **lease})

    def update(self, table: str, now: int) -> dict[str, Any]:
        """The ``UpdateItem`` (or transaction ``Update``) parameters of this close."""
        values: dict[str, Any] = {
            ":owner": _s(self.owner),
            ":fence": _n(self.fence),
            ":ver": _n(self.version),
            ":now": _n(now),
        }
        sets = ["ver = :ver", "cf = :fence", "closed_at = :now"]
        removes = ["#owner", "lease_until"]
        log = self.slack_log()
        if log is not None:
            values[":slk"] = {"L": [{"L": [_n(v), _n(s)]} for v, s in log]}
            sets.append("slk = :slk")
        if self.expires_at is not None:
            assert self.seq is not None and self.paged is not None and self.gen is not None
            values.update(
                {
                    ":seq": _n(self.seq),
                    ":paged": _n(self.paged),
                    ":gen": _n(self.gen),
                    ":exp": _n(self.expires_at),
                }
            )
            sets += ["seq = :seq", "paged = :paged", "gen = :gen", "expires_at = :exp"]
            for name, parts in (
                ("kv", [part for pair in self.hot or () for part in pair]),
                ("tail", list(self.tail or ())),
            ):
                if parts:
                    values[f":{name}"] = _string_list(parts)
                    sets.append(f"{name} = :{name}")
                else:
                    removes.append(name)
            if self.own:
                values[":own"] = {"B": self.own}
                sets.append("own = :own")
            else:
                removes.append("own")
        if self.alarm_changed:
            if self.alarm is not None:
                values.update(
                    {
                        ":alarm": _n(self.alarm[0]),
                        ":shard": _s(alarm_shard(self.pk)),
                        ":retry": _n(self.alarm[1]),
                    }
                )
                sets += ["alarm = :alarm", "alarm_shard = :shard", "alarm_retry = :retry"]
            else:
                removes += ["alarm", "alarm_shard", "alarm_retry"]
        return {
            "TableName": table,
            "Key": {"pk": _s(self.pk), "sk": _s(STATE_SK)},
            "UpdateExpression": f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
            "ConditionExpression": "#owner = :owner AND fence = :fence",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": values,
        }


@dataclass(slots=True)
class Commit:
    """Everything one turn (and the turns joined to it) writes, applied at once with their releases."""

    token: str
    closes: list[Close]
    puts: list[dict[str, Any]] = field(default_factory=list)
    """Whole items (``pk``, ``sk`` included); a put may carry ``"_condition": (expression, values)``."""
    deletes: list[tuple[str, str]] = field(default_factory=list)
    pre_puts: list[dict[str, Any]] = field(default_factory=list)
    """Items written *before* the commit, on their own: pages of already-committed history (their
    content is fixed, so writing one twice, or by a holder who then loses the lease, changes nothing)."""
    records: dict[int, str] = field(default_factory=dict)
    """Index in :attr:`puts` -> idempotency key, for the puts that create an idempotency record."""

    @property
    def is_single_update(self) -> bool:
        return len(self.closes) == 1 and not self.puts and not self.deletes


class AcquireFailed(Exception):
    """The lease is held by someone else (internal: the turn turns this into waiting or busy)."""

    def __init__(self, holder: str | None, until: int | None):
        self.holder = holder
        self.until = until


class RecordExists(Exception):
    """Another call with the same idempotency key committed first (internal: the turn replays it)."""

    def __init__(self, key: str):
        self.key = key


@dataclass(frozen=True, slots=True)
class StoredValue:
    """A value item as read: its JSON, the version that wrote it, and how many chunks hold it."""

    text: str
    version: int
    chunks: int = 1


@dataclass(slots=True)
class Record:
    """A decoded idempotency record."""

    fingerprint: str
    turn: str
    response: str
    expires_at: int


def value_items(pk: str, gen: int, key: str, text: str, version: int) -> list[dict[str, Any]]:
    """The items holding value ``key`` (one, or a first chunk and its continuation chunks)."""
    data = text.encode()
    head: dict[str, Any] = {"pk": _s(pk), "sk": _s(value_sk(gen, key)), "ver": _n(version)}
    if len(data) <= CHUNK_BYTES:
        return [{**head, "v": _s(text)}]
    parts = chunks(data)
    return [{**head, "b": {"B": parts[0]}, "n": _n(len(parts))}] + [
        {"pk": _s(pk), "sk": _s(chunk_sk(gen, key, i)), "b": {"B": part}}
        for i, part in enumerate(parts[1:], start=1)
    ]


def value_item_keys(gen: int, key: str, chunk_count: int) -> list[str]:
    """The sort keys of a value's items when it is held in ``chunk_count`` chunks."""
    return [value_sk(gen, key)] + [chunk_sk(gen, key, i) for i in range(1, chunk_count)]


def page_items(pk: str, gen: int, first: int, entries: Sequence[str]) -> list[dict[str, Any]]:
    """History ``entries`` numbered from ``first``, as pages of at most :data:`PAGE_MAX_ENTRIES` entries
    and :data:`PAGE_BYTES`. Each page replaces one at its place only if that one holds no more entries:
    every page at a place holds a prefix of the same committed entries, so a longer one never gives way
    to a shorter (a late write by a holder that lost its lease)."""
    items: list[dict[str, Any]] = []
    batch: list[str] = []
    start, size = first, 0
    for offset, text in enumerate(entries):
        length = len(text.encode()) + 1
        if batch and (len(batch) == PAGE_MAX_ENTRIES or size + length > PAGE_BYTES):
            items.append(_page(pk, gen, start, batch))
            start, batch, size = first + offset, [], 0
        batch.append(text)
        size += length
    if batch:
        items.append(_page(pk, gen, start, batch))
    return items


def _page(pk: str, gen: int, first: int, entries: list[str]) -> dict[str, Any]:
    return {
        "pk": _s(pk),
        "sk": _s(page_sk(gen, first)),
        "e": _string_list(entries),
        "_condition": ("attribute_not_exists(sk) OR size(e) <= :n", {":n": _n(len(entries))}),
    }


def purge_marker(pk: str, gen: int, now: int) -> dict[str, Any]:
    """The item ``delete_all`` writes: the reaper deletes generations ``<= gen`` when it appears."""
    return {"pk": _s(pk), "sk": _s(purge_sk(gen)), "at": _n(now)}


class StateTable:
    """The DynamoDB requests of the runtime, on one table through one low-level client."""

    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.name = table_name

    def _key(self, pk: str, sk: str = STATE_SK) -> dict[str, Any]:
        return {"pk": _s(pk), "sk": _s(sk)}

    # --- the lease ------------------------------------------------------------------------------------

    def acquire(self, pk: str, *, owner: str, until: int, now: int, expires_at: int) -> StateSnapshot:
        """Take the lease if it is free or has run out, bump the fence, and return the STATE item.

        A new object's first acquire sets its TTL, so an object whose first turn fails (or is refused)
        still expires; after that only commits move it (an acquire knows nothing of the object's alarm,
        which the TTL must not precede: see ``Storage.plan``).
        """
        try:
            response = self.client.update_item(
                TableName=self.name,
                Key=self._key(pk),
                UpdateExpression=(
                    "SET #owner = :owner, lease_until = :until, gen = if_not_exists(gen, :now), "
                    "expires_at = if_not_exists(expires_at, :exp) "
                    "ADD fence :one"
                ),
                ConditionExpression="attribute_not_exists(#owner) OR lease_until < :now",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={
                    ":owner": _s(owner),
                    ":until": _n(until),
                    ":now": _n(now),
                    ":one": _n(1),
                    ":exp": _n(expires_at),
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            old = error.response.get("Item") or {}
            if _str(old.get("owner")) == owner:
                # Owner ids are unique per turn: an earlier attempt of this very request (retried by
                # botocore after its response was lost) took the lease, and the item is its ALL_NEW.
                return StateSnapshot.from_item(old)
            raise AcquireFailed(_str(old.get("owner")), _num(old.get("lease_until"))) from None
        return StateSnapshot.from_item(response["Attributes"])

    def peek(self, pk: str) -> StateSnapshot:
        """A strongly consistent read of the STATE item (read-only turns, and waiters polling for the
        lease: a read costs a fifth of the failed write an acquire attempt would)."""
        response = self.client.get_item(TableName=self.name, Key=self._key(pk), ConsistentRead=True)
        return StateSnapshot.from_item(response.get("Item"))

    def extend(self, pk: str, *, owner: str, fence: int, until: int) -> None:
        """Push the lease's end out (fenced: only the current holder can)."""
        try:
            self.client.update_item(
                TableName=self.name,
                Key=self._key(pk),
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="#owner = :owner AND fence = :fence",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner), ":fence": _n(fence), ":until": _n(until)},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise LeaseLost("the lease was taken over; it can no longer be extended") from None

    # --- closing an epoch: commit or release -------------------------------------------------------------

    def release(self, close: Close) -> None:
        """Give the lease back without writing state (a turn that changed nothing, or failed)."""
        now = clock.now_ms()
        try:
            self.client.update_item(
                **close.update(self.name, now), ReturnValuesOnConditionCheckFailure="ALL_OLD"
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            self._recognise(close, error.response.get("Item"), "released")

    def commit(self, commit: Commit) -> None:
        """Apply ``commit``: its pre-puts, then one conditional write (``UpdateItem`` when only one STATE
        item changes, else ``TransactWriteItems``) on every close's ``owner`` and ``fence``.

        A condition that fails because an earlier attempt of this very request already applied (its
        response was lost) is recognised and is success; a lease taken over is :class:`LeaseLost`; an
        idempotency record created meanwhile by another call with the same key is
        :class:`RecordExists`; transient cancellations are retried, then :class:`ServiceUnavailable`.
        """
        now = clock.now_ms()
        actions = None if commit.is_single_update else self._actions(commit, now)
        if actions is not None:
            check_transaction(actions)  # refused before anything is sent
        for item in commit.pre_puts:
            try:
                self.client.put_item(**self._put(item))
            except self.client.exceptions.ConditionalCheckFailedException:
                pass  # a page holding at least these entries is there already
        if actions is None:
            (close,) = commit.closes
            try:
                self.client.update_item(
                    **close.update(self.name, now), ReturnValuesOnConditionCheckFailure="ALL_OLD"
                )
            except self.client.exceptions.ConditionalCheckFailedException as error:
                self._recognise(close, error.response.get("Item"), "committed")
            return
        for attempt in range(COMMIT_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=actions, ClientRequestToken=commit.token[:36])
                return
            except self.client.exceptions.TransactionCanceledException as error:
                reasons = error.response.get("CancellationReasons") or []
                codes = [reason.get("Code") or "None" for reason in reasons]
                if "ConditionalCheckFailed" in codes[: len(commit.closes)]:
                    failed = codes.index("ConditionalCheckFailed")
                    self._recognise(commit.closes[failed], reasons[failed].get("Item"), "committed")
                    return
                for index, code in enumerate(codes):
                    if code == "ConditionalCheckFailed" and index - len(commit.closes) in commit.records:
                        raise RecordExists(commit.records[index - len(commit.closes)]) from None
                if codes and all(code in TRANSIENT_CANCELLATIONS or code == "None" for code in codes):
                    if attempt + 1 < COMMIT_ATTEMPTS:
                        time.sleep(0.02 * 2**attempt)
                        continue
                    raise ServiceUnavailable(
                        f"the commit was cancelled {COMMIT_ATTEMPTS} times "
                        f"({', '.join(sorted(set(codes) - {'None'}))}); "
                        "nothing was stored"
                    ) from error
                raise

    def _actions(self, commit: Commit, now: int) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = [
            {"Update": {**close.update(self.name, now), "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
            for close in commit.closes
        ]
        actions += [{"Put": self._put(item)} for item in commit.puts]
        actions += [
            {"Delete": {"TableName": self.name, "Key": self._key(pk, sk)}} for pk, sk in commit.deletes
        ]
        return actions

    def _put(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """``PutItem`` (or transaction ``Put``) parameters of an item, with its ``_condition`` if any."""
        spec: dict[str, Any] = {
            "TableName": self.name,
            "Item": {k: v for k, v in item.items() if k != "_condition"},
        }
        if "_condition" in item:
            expression, values = item["_condition"]
            spec.update(ConditionExpression=expression, ExpressionAttributeValues=values)
        return spec

    def _recognise(self, close: Close, item: Mapping[str, Any] | None, what: str) -> None:
        """After a close's condition failed: return if it applied all the same (an earlier attempt of this
        request landed and only its response was lost), else raise."""
        closer = closed_by(item, close.version)
        if closer == close.fence:
            return
        if closer is None and item and _num(item.get("ver")) >= close.version:
            raise CommitOutcomeUnknown(
                f"whether this turn {what} cannot be told any more "
                f"(more than {SLACK_LOG_ENTRIES} leases were "
                "taken over since); retry with the same idempotency key to find out"
            )
        raise LeaseLost(
            "this turn's lease was taken over by another caller (it outlived its lease); "
            "nothing it buffered was stored"
        )

    # --- reads of the hot set's complement --------------------------------------------------------------

    def get_values(self, pk: str, gen: int, keys: Sequence[str]) -> dict[str, StoredValue]:
        """The value items of ``keys`` that exist (consistent reads: one ``GetItem`` for one key, else
        ``BatchGetItem`` by 100, plus the chunks of large values)."""
        if not keys:
            return {}
        if len(keys) == 1:
            response = self.client.get_item(
                TableName=self.name, Key=self._key(pk, value_sk(gen, keys[0])), ConsistentRead=True
            )
            items = [response["Item"]] if "Item" in response else []
        else:
            items = self._batch_get(pk, [value_sk(gen, key) for key in keys])
        return self._decode_values(pk, gen, items)

    def query_values(
        self, pk: str, gen: int, *, low: str, high: str | None, reverse: bool, page: int | None
    ) -> Iterator[tuple[str, StoredValue]]:
        """The value items with ``low <= key`` (and ``key < high``), in key order (or reversed), fetched
        ``page`` items (``None``: 1 MB) per ``Query`` for as long as the caller iterates."""
        prefix = value_sk(gen, "")
        upper = value_sk(gen, high) if high is not None else prefix + "\U0010ffff"
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": _s(pk), ":low": _s(value_sk(gen, low)), ":high": _s(upper)},
            "ScanIndexForward": not reverse,
            "ConsistentRead": True,
        }
        if page is not None:
            kwargs["Limit"] = page
        while True:
            response = self.client.query(**kwargs)
            items = [item for item in response.get("Items", []) if high is None or item["sk"]["S"] != upper]
            yield from self._decode_values(pk, gen, items).items()
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _decode_values(self, pk: str, gen: int, items: list[dict[str, Any]]) -> dict[str, StoredValue]:
        """Value items -> ``{key: StoredValue}`` in the order given; large values reassembled."""
        prefix = value_sk(gen, "")
        out: dict[str, StoredValue] = {}
        pending: dict[str, tuple[int, int, bytes]] = {}
        for item in items:
            key = item["sk"]["S"][len(prefix) :]
            version = _num(item.get("ver"))
            if "v" in item:
                out[key] = StoredValue(item["v"]["S"], version)
            else:
                out[key] = StoredValue("", version)  # a placeholder keeps the order
                pending[key] = (_num(item.get("n"), 1), version, _bytes(item["b"]))
        if pending:
            wanted = {
                chunk_sk(gen, key, index): (key, index)
                for key, (count, _, _) in pending.items()
                for index in range(1, count)
            }
            parts: dict[str, dict[int, bytes]] = {key: {0: first} for key, (_, _, first) in pending.items()}
            for item in self._batch_get(pk, list(wanted)):
                key, index = wanted[item["sk"]["S"]]
                parts[key][index] = _bytes(item["b"])
            for key, (count, version, _) in pending.items():
                if len(parts[key]) != count:
                    raise LookupError(f"value {key!r} is missing chunks ({len(parts[key])} of {count} found)")
                out[key] = StoredValue(b"".join(parts[key][i] for i in range(count)).decode(), version, count)
        return out

    def query_history(self, pk: str, gen: int, *, first: int, last: int) -> dict[int, str]:
        """History entries ``first..last`` (``{seq: JSON}``) from the pages holding them (``Query``, one
        request per 1 MB). Pages hold at most :data:`PAGE_MAX_ENTRIES` entries, so the page holding
        ``first`` starts no earlier than ``first - PAGE_MAX_ENTRIES + 1``."""
        if first > last:
            return {}
        low = page_sk(gen, max(1, first - PAGE_MAX_ENTRIES + 1))
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": _s(pk), ":low": _s(low), ":high": _s(page_sk(gen, last))},
            "ConsistentRead": True,
        }
        out: dict[int, str] = {}
        while True:
            response = self.client.query(**kwargs)
            for item in response.get("Items", []):
                start = int(item["sk"]["S"].rsplit("#", 1)[1])
                for offset, text in enumerate(_strings(item.get("e"))):
                    if first <= start + offset <= last:
                        out[start + offset] = text
            if "LastEvaluatedKey" not in response:
                return out
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _batch_get(self, pk: str, sks: Sequence[str]) -> list[dict[str, Any]]:
        """The items of ``sks`` that exist (``BatchGetItem``, 100 keys per request, consistent; keys DynamoDB
        leaves unprocessed are asked for again)."""
        found: list[dict[str, Any]] = []
        keys = [self._key(pk, sk) for sk in sks]
        for start in range(0, len(keys), 100):
            request: dict[str, Any] = {self.name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                found.extend(response["Responses"].get(self.name, []))
                request = response.get("UnprocessedKeys") or {}
        return found

    # --- alarms ------------------------------------------------------------------------------------------

    def due_alarms(self, *, until: int) -> list[tuple[str, int]]:
        """``(pk, due)`` of every object whose alarm is due by ``until`` (epoch ms), earliest first: one
        ``Query`` of the sparse ``alarms`` index per shard (eventually consistent, as index reads are; the
        alarm turn checks the STATE item itself)."""
        due: list[tuple[str, int]] = []
        for shard in range(ALARM_SHARDS):
            kwargs: dict[str, Any] = {
                "TableName": self.name,
                "IndexName": ALARM_INDEX,
                "KeyConditionExpression": "alarm_shard = :shard AND alarm <= :until",
                "ExpressionAttributeValues": {":shard": _s(str(shard)), ":until": _n(until)},
            }
            while True:
                response = self.client.query(**kwargs)
                due += [(item["pk"]["S"], _num(item.get("alarm"))) for item in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return sorted(due, key=lambda entry: entry[1])

    # --- idempotency records -------------------------------------------------------------------------------

    def get_record(self, pk: str, key: str) -> Record | None:
        """The idempotency record of ``key`` (``None`` if there is none, or it has expired)."""
        response = self.client.get_item(
            TableName=self.name, Key=self._key(pk, record_sk(key)), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None or _num(item.get("expires_at")) < clock.now_s():
            return None
        if "r" in item:
            text = item["r"]["S"]
        elif "z" in item:
            text = zlib.decompress(_bytes(item["z"])).decode()
        else:
            count = _num(item.get("rn"), 1)
            sks = [record_chunk_sk(key, i) for i in range(count)]
            found = {it["sk"]["S"]: _bytes(it["b"]) for it in self._batch_get(pk, sks)}
            if len(found) != count:
                raise LookupError(f"the response recorded for {key!r} is missing chunks")
            text = zlib.decompress(b"".join(found[sk] for sk in sks)).decode()
        return Record(
            fingerprint=_str(item.get("fp")) or "",
            turn=_str(item.get("turn")) or "",
            response=text,
            expires_at=_num(item.get("expires_at")),
        )

    def claim(self, pk: str, key: str, *, fingerprint: str, turn: str, expires_at: int) -> Record | None:
        """Claim idempotency ``key`` in ``pk`` for the request ``fingerprint``: one conditional ``PutItem``
        of its record (response ``null``), on the condition that no live record of the key exists.

        Args:
            pk: the object the key is claimed in.
            key: the idempotency key.
            fingerprint: what identifies the request.
            turn: the claiming turn's token (kept in the record).
            expires_at: the claim's TTL (epoch seconds): the idempotency window.

        Returns:
            ``None`` when this call wrote the claim; else the live record that holds the key. A lost
            response (botocore re-sending the ``PutItem`` after its first copy landed) finds its own
            claim there: the same fingerprint, as a retry of the same request does.
        """
        now = clock.now_ms()
        (item,) = self.record_items(
            pk, key, fingerprint=fingerprint, turn=turn, response="null", expires_at=expires_at, now=now
        )
        for _ in range(COMMIT_ATTEMPTS):
            try:
                self.client.put_item(**self._put(item))
                return None
            except self.client.exceptions.ConditionalCheckFailedException:
                record = self.get_record(pk, key)
                if record is not None:
                    return record
                # the record expired between the two requests: claim again
        raise ServiceUnavailable(f"could not claim idempotency key {key!r}")

    @staticmethod
    def record_items(
        pk: str, key: str, *, fingerprint: str, turn: str, response: str, expires_at: int, now: int
    ) -> list[dict[str, Any]]:
        """The items recording ``key``'s response; the first carries the condition that no live record of
        the key exists (so two concurrent calls with one key cannot both commit)."""
        record: dict[str, Any] = {
            "pk": _s(pk),
            "sk": _s(record_sk(key)),
            "fp": _s(fingerprint),
            "turn": _s(turn),
            "at": _n(now),
            "expires_at": _n(expires_at),
            "_condition": ("attribute_not_exists(sk) OR expires_at < :now_s", {":now_s": _n(now // 1000)}),
        }
        data = response.encode()
        if len(data) <= RECORD_COMPRESS_BYTES:
            record["r"] = _s(response)
            return [record]
        data = zlib.compress(data, 6)
        if len(data) <= CHUNK_BYTES:
            record["z"] = {"B": data}
            return [record]
        parts = chunks(data)
        record["rn"] = _n(len(parts))
        return [record] + [
            {"pk": _s(pk), "sk": _s(record_chunk_sk(key, i)), "b": {"B": part}, "expires_at": _n(expires_at)}
            for i, part in enumerate(parts)
        ]

    # --- housekeeping (the reaper) --------------------------------------------------------------------

    def purge(self, pk: str, *, up_to_gen: int) -> int:
        """Delete an object's value, history and purge-marker items of generations ``<= up_to_gen``.

        Never touches the ``STATE`` item, idempotency records (they expire on their own), nor items of
        a newer generation (an object re-created after its state expired, or written after
        ``delete_all``, starts a newer generation).
        """
        deleted = 0
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(pk)},
            "ProjectionExpression": "pk, sk",
        }
        while True:
            response = self.client.query(**kwargs)
            doomed = [item for item in response.get("Items", []) if generation(item["sk"]["S"]) <= up_to_gen]
            for start in range(0, len(doomed), 25):
                requests = [{"DeleteRequest": {"Key": item}} for item in doomed[start : start + 25]]
                pending: dict[str, Any] = {self.name: requests}
                while pending:
                    result = self.client.batch_write_item(RequestItems=pending)
                    pending = result.get("UnprocessedItems") or {}
                deleted += len(requests)
            if "LastEvaluatedKey" not in response:
                return deleted
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def generation(sk: str) -> int | float:
    """The generation an item belongs to (``inf`` for the STATE item and idempotency records)."""
    if sk.startswith("PURGE#"):
        return int(sk[len("PURGE#") :])
    if sk.startswith("G") and "#" in sk:
        return int(sk[1 : sk.index("#")])
    return float("inf")


def check_transaction(actions: Sequence[Mapping[str, Any]]) -> None:
    """Refuse, before anything is sent, a transaction DynamoDB would reject for its size."""
    if len(actions) > MAX_TRANSACTION_ITEMS:
        raise TurnTooLarge(
            f"a turn writes at most {MAX_TRANSACTION_ITEMS} items in its commit "
            "(values, chunks, history pages, "
            f"records and the STATE items of the turns joined to it); this one writes {len(actions)}"
        )
    total = 0
    for action in actions:
        ((kind, spec),) = action.items()
        if kind != "Put":
            continue
        size = item_size(spec["Item"])
        if size > MAX_ITEM_BYTES:
            raise TurnTooLarge(
                f"an item of this turn's commit would be {size} bytes (the limit is {MAX_ITEM_BYTES})"
            )
        total += size
    if total > MAX_TRANSACTION_BYTES:
        raise TurnTooLarge(
            f"this turn's commit would write {total} bytes; a DynamoDB transaction holds at most "
            f"{MAX_TRANSACTION_BYTES}"
        )
