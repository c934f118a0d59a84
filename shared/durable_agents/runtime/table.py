"""The state table: every DynamoDB request the runtime makes, and the item layout they share.

One partition per object (``pk = "<NAMESPACE>#<id>"``):

``STATE``
    The small item that is loaded and written once per turn: the lease (``owner``, ``lease_until``,
    ``fence``), ``version``, ``gen``, ``last_seq``, the inline key/value map ``kv`` (small values as JSON
    text, large ones as a ``{"n": chunks}`` marker), ``tail`` (the most recent history entries),
    ``done`` (recent message ids with their responses), timestamps and the ``expires_at`` TTL.
``G<gen>#M#<seq>``
    One history entry each (never rewritten).
``G<gen>#V#<key>`` / ``G<gen>#C#<key>#<i>``
    A large value's first chunk and its continuation chunks.
``PURGE#<gen>``
    Written by ``delete_all``: when it appears, the reaper deletes the items of generation ``<= gen``.

A new object's generation is its creation time in milliseconds and ``delete_all`` moves to a newer
one, so the items of an expired or wiped incarnation never mix with the current one's.

Every method here is exactly one DynamoDB request (a round trip), except where it says otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import LeaseLost, TurnTooLarge

STATE_SK = "STATE"
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4_000_000


def now_ms() -> int:
    return int(time.time() * 1000)


def history_sk(gen: int, seq: int) -> str:
    return f"G{gen}#M#{seq:012d}"


def value_sk(gen: int, key: str) -> str:
    return f"G{gen}#V#{key}"


def chunk_sk(gen: int, key: str, index: int) -> str:
    return f"G{gen}#C#{key}#{index:04d}"


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


@dataclass(slots=True)
class StateSnapshot:
    """The decoded ``STATE`` item of one object, as one request returned it."""

    exists: bool
    owner: str | None = None
    lease_until: int | None = None
    fence: int = 0
    version: int = 0
    gen: int = 0
    last_seq: int = 0
    kv: dict[str, str | dict[str, int]] = field(default_factory=dict)
    tail: list[tuple[int, str]] = field(default_factory=list)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: int | None = None
    updated_at: int | None = None
    expires_at: int | None = None
    last_turn: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> StateSnapshot:
        if not item:
            return cls(exists=False)
        kv: dict[str, str | dict[str, int]] = {}
        for key, attr in item.get("kv", {}).get("M", {}).items():
            if "S" in attr:
                kv[key] = attr["S"]
            else:
                kv[key] = {k: int(v["N"]) for k, v in attr["M"].items()}
        tail = [
            (int(entry["M"]["s"]["N"]), entry["M"]["v"]["S"]) for entry in item.get("tail", {}).get("L", [])
        ]
        done = {
            message_id: {
                "t": int(entry["M"]["t"]["N"]),
                "r": entry["M"]["r"]["S"],
            }
            for message_id, entry in item.get("done", {}).get("M", {}).items()
        }
        return cls(
            exists="version" in item,
            owner=_str(item.get("owner")),
            lease_until=_num(item.get("lease_until")) if "lease_until" in item else None,
            fence=_num(item.get("fence")),
            version=_num(item.get("version")),
            gen=_num(item.get("gen")),
            last_seq=_num(item.get("last_seq")),
            kv=kv,
            tail=tail,
            done=done,
            created_at=_num(item.get("created_at")) if "created_at" in item else None,
            updated_at=_num(item.get("updated_at")) if "updated_at" in item else None,
            expires_at=_num(item.get("expires_at")) if "expires_at" in item else None,
            last_turn=_str(item.get("turn")),
        )


@dataclass(slots=True)
class Commit:
    """Everything one turn writes, applied atomically with the lease release."""

    turn_id: str
    owner: str
    fence: int
    version: int
    gen: int
    last_seq: int
    kv: Mapping[str, str | Mapping[str, int]]
    tail: Sequence[tuple[int, str]]
    done: Mapping[str, Mapping[str, Any]]
    expires_at: int
    puts: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)


class AcquireFailed(Exception):
    """The lease is held by someone else (internal: the lease module turns this into waiting or busy)."""

    def __init__(self, holder: str | None, lease_until: int | None):
        self.holder = holder
        self.lease_until = lease_until


class StateTable:
    """The DynamoDB requests of the runtime, on one table through one low-level client."""

    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.name = table_name

    def _key(self, pk: str, sk: str = STATE_SK) -> dict[str, Any]:
        return {"pk": _s(pk), "sk": _s(sk)}

    # --- the two round trips of a turn -----------------------------------------------------------------

    def acquire(
        self, pk: str, *, owner: str, lease_until: int, now: int, namespace: str, name: str | None
    ) -> StateSnapshot:
        """Take the lease if it is free or expired, bump the fencing token, and return the state."""
        names = {"#owner": "owner"}
        values: dict[str, Any] = {
            ":owner": _s(owner),
            ":until": _n(lease_until),
            ":now": _n(now),
            ":one": _n(1),
            ":ns": _s(namespace),
        }
        # A new object starts a generation of its own (the creation time), so that items left by an
        # earlier incarnation whose state expired can never be mistaken for this one's.
        sets = [
            "#owner = :owner",
            "lease_until = :until",
            "ns = if_not_exists(ns, :ns)",
            "gen = if_not_exists(gen, :now)",
        ]
        if name is not None:
            names["#name"] = "name"
            values[":name"] = _s(name)
            sets.append("#name = if_not_exists(#name, :name)")
        try:
            response = self.client.update_item(
                TableName=self.name,
                Key=self._key(pk),
                UpdateExpression=f"SET {', '.join(sets)} ADD fence :one",
                ConditionExpression="attribute_not_exists(#owner) OR lease_until < :now",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            old = error.response.get("Item") or {}
            if _str(old.get("owner")) == owner:
                # Owner ids are unique per turn: an earlier attempt of this very request (retried by
                # botocore after its response was lost) took the lease. The item as it stands is that
                # attempt's ALL_NEW, so the lease is ours and this is the state it loaded.
                return StateSnapshot.from_item(old)
            raise AcquireFailed(_str(old.get("owner")), _num(old.get("lease_until"))) from None
        return StateSnapshot.from_item(response["Attributes"])

    def commit(self, pk: str, commit: Commit, *, now: int) -> None:
        """Write the turn's changes and release the lease, on condition that we still hold it.

        A single ``UpdateItem`` when only the state item changes, else one ``TransactWriteItems``.
        A condition failure whose returned item carries our own turn id means an earlier attempt of
        this very request succeeded and only its response was lost: that is success.
        """
        update = self._commit_update(pk, commit, now=now)
        if not commit.puts and not commit.deletes:
            try:
                self.client.update_item(**update, ReturnValuesOnConditionCheckFailure="ALL_OLD")
            except self.client.exceptions.ConditionalCheckFailedException as error:
                self._raise_unless_ours(error.response.get("Item"), commit)
            return
        actions: list[dict[str, Any]] = [
            {"Update": {**update, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        ]
        actions += [{"Put": {"TableName": self.name, "Item": {"pk": _s(pk), **item}}} for item in commit.puts]
        actions += [{"Delete": {"TableName": self.name, "Key": self._key(pk, sk)}} for sk in commit.deletes]
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise TurnTooLarge(
                f"a turn may write at most {MAX_TRANSACTION_ITEMS - 1} history entries and value chunks; "
                f"this one writes {len(actions) - 1}"
            )
        try:
            self.client.transact_write_items(TransactItems=actions, ClientRequestToken=commit.turn_id[:36])
        except self.client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons") or []
            first = reasons[0] if reasons else {}
            if first.get("Code") == "ConditionalCheckFailed":
                self._raise_unless_ours(first.get("Item"), commit)
                return
            raise

    def _commit_update(self, pk: str, commit: Commit, *, now: int) -> dict[str, Any]:
        kv: dict[str, Any] = {}
        for key, value in commit.kv.items():
            if isinstance(value, str):
                kv[key] = _s(value)
            else:
                kv[key] = {"M": {k: _n(v) for k, v in value.items()}}
        tail = [{"M": {"s": _n(seq), "v": _s(text)}} for seq, text in commit.tail]
        done = {
            message_id: {"M": {"t": _n(entry["t"]), "r": _s(entry["r"])}}
            for message_id, entry in commit.done.items()
        }
        return {
            "TableName": self.name,
            "Key": self._key(pk),
            "UpdateExpression": (
                "SET kv = :kv, tail = :tail, done = :done, version = :version, gen = :gen, "
                "last_seq = :last_seq, updated_at = :now, expires_at = :expires, turn = :turn, "
                "created_at = if_not_exists(created_at, :now) REMOVE #owner, lease_until"
            ),
            "ConditionExpression": "#owner = :owner AND fence = :fence",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {
                ":kv": {"M": kv},
                ":tail": {"L": tail},
                ":done": {"M": done},
                ":version": _n(commit.version),
                ":gen": _n(commit.gen),
                ":last_seq": _n(commit.last_seq),
                ":now": _n(now),
                ":expires": _n(commit.expires_at),
                ":turn": _s(commit.turn_id),
                ":owner": _s(commit.owner),
                ":fence": _n(commit.fence),
            },
        }

    def release(self, pk: str, *, owner: str, fence: int, turn_id: str) -> None:
        """Give the lease back without writing state (a turn that changed nothing, or failed)."""
        try:
            self.client.update_item(
                TableName=self.name,
                Key=self._key(pk),
                UpdateExpression="SET turn = :turn REMOVE #owner, lease_until",
                ConditionExpression="#owner = :owner AND fence = :fence",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner), ":fence": _n(fence), ":turn": _s(turn_id)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.client.exceptions.ConditionalCheckFailedException as error:
            old = error.response.get("Item") or {}
            if _str(old.get("turn")) != turn_id:
                raise LeaseLost("the lease was taken over before this turn released it") from None

    def extend(self, pk: str, *, owner: str, fence: int, lease_until: int) -> None:
        """Push the lease's end out (fenced: only the current holder can)."""
        try:
            self.client.update_item(
                TableName=self.name,
                Key=self._key(pk),
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="#owner = :owner AND fence = :fence",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(owner), ":fence": _n(fence), ":until": _n(lease_until)},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise LeaseLost("the lease was taken over; it can no longer be extended") from None

    @staticmethod
    def _raise_unless_ours(item: Mapping[str, Any] | None, commit: Commit) -> None:
        if item and _str(item.get("turn")) == commit.turn_id and _num(item.get("version")) == commit.version:
            return
        raise LeaseLost(
            "this turn's lease was taken over by another caller (it outlived its lease); "
            "its writes were rejected and nothing was stored"
        )

    # --- reads without the lease ---------------------------------------------------------------------

    def read_state(self, pk: str) -> StateSnapshot:
        """A strongly consistent read of the last committed state (no lease taken)."""
        response = self.client.get_item(TableName=self.name, Key=self._key(pk), ConsistentRead=True)
        return StateSnapshot.from_item(response.get("Item"))

    def query_history(
        self, pk: str, gen: int, *, first: int, last: int, limit: int | None, reverse: bool
    ) -> list[tuple[int, str]]:
        """History entries with ``first <= seq <= last`` (one request per 1 MB page)."""
        if first > last:
            return []
        out: list[tuple[int, str]] = []
        for item in self._query(
            pk, history_sk(gen, first), history_sk(gen, last), limit=limit, reverse=reverse
        ):
            out.append((int(item["sk"]["S"].rsplit("#", 1)[1]), item["v"]["S"]))
        return out

    def read_values(self, pk: str, gen: int, markers: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        """Reassemble large values from their chunks (``BatchGetItem``, 100 keys per request)."""
        wanted: dict[str, tuple[str, int]] = {}
        for key, marker in markers.items():
            wanted[value_sk(gen, key)] = (key, 0)
            for index in range(1, marker["n"]):
                wanted[chunk_sk(gen, key, index)] = (key, index)
        chunks: dict[str, dict[int, bytes]] = {key: {} for key in markers}
        pending = [self._key(pk, sk) for sk in wanted]
        while pending:
            batch, pending = pending[:100], pending[100:]
            request: dict[str, Any] = {self.name: {"Keys": batch, "ConsistentRead": True}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response["Responses"].get(self.name, []):
                    key, index = wanted[item["sk"]["S"]]
                    chunks[key][index] = item["b"]["B"]
                request = response.get("UnprocessedKeys") or {}
        out: dict[str, str] = {}
        for key, parts in chunks.items():
            count = markers[key]["n"]
            if len(parts) != count:
                raise LookupError(f"value {key!r} is missing chunks ({len(parts)} of {count} found)")
            out[key] = b"".join(parts[i] for i in range(count)).decode()
        return out

    def _query(
        self, pk: str, low: str, high: str, *, limit: int | None, reverse: bool
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":pk": _s(pk), ":low": _s(low), ":high": _s(high)},
            "ScanIndexForward": not reverse,
            "ConsistentRead": True,
        }
        remaining = limit
        while True:
            if remaining is not None:
                kwargs["Limit"] = remaining
            response = self.client.query(**kwargs)
            items = response.get("Items", [])
            yield from items
            if remaining is not None:
                remaining -= len(items)
                if remaining <= 0:
                    return
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- housekeeping (the reaper) --------------------------------------------------------------------

    def purge(self, pk: str, *, up_to_gen: int) -> int:
        """Delete an object's history, value and purge-marker items of generations ``<= up_to_gen``.

        Never touches the ``STATE`` item, nor items of a newer generation (an object re-created after
        its state expired, or written after ``delete_all``, starts a newer generation).
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
            doomed = [item for item in response.get("Items", []) if _generation(item["sk"]["S"]) <= up_to_gen]
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


def _generation(sk: str) -> int | float:
    """The generation an item belongs to (``inf`` for the state item, which is never purged)."""
    if sk.startswith("PURGE#"):
        return int(sk[len("PURGE#") :])
    if sk.startswith("G") and "#" in sk:
        return int(sk[1 : sk.index("#")])
    return float("inf")
