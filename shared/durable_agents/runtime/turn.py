"""One turn: take the object's lease, run one method, commit its writes and release, exactly once.

This is the only place objects run. A turn is two sequential steps: the acquire (one conditional
``UpdateItem`` that returns the STATE item, with the call's idempotency record read beside it) and the
commit (one conditional write that also releases). A turn that reads values outside the hot set adds
a read; one that moves its history tail to a page may add the page's write.

- **Exactly once.** A call with an idempotency key whose record exists (for
  ``settings.idempotency_seconds`` of its namespace, a day by default) returns the recorded response
  and runs nothing; the same key with another request (another fingerprint) is
  :class:`IdempotencyKeyReused`. The record is written in the commit, on the condition that no live
  record of the key exists, so two concurrent calls with one key cannot both apply.
- **Joined turns.** A stub call made during a turn with ``join=True`` runs the callee under its own
  lease in this process, and its writes commit in the caller's commit, atomically: both objects change,
  or neither. Its lease is held until then. An object the turn already holds is called in place.
- **Reads beside the acquire.** An object class may name what a call will read elsewhere
  (``beside_acquire(env, method, args, kwargs)``: a callable, or ``None``); the turn starts it, in
  parallel with its acquire, and the method finds its future as ``ctx.beside``. It was read before the
  lease was taken, so the method must validate it against the state it holds (and read again where it
  cannot): the runtime only saves the round trip.
- **Key claims.** A call may carry a :class:`~durable_agents.runtime.claims.KeyClaim` (its key claimed
  in another object, so one key is one request across many objects): the claim's one ``PutItem`` goes
  out beside the acquire too, and decides before the method runs (a key another request holds is
  :class:`IdempotencyKeyReused`, the lease given back, nothing written).
- **Read-only methods** take no lease: they read the STATE item (and whatever else they need), then
  check that no commit landed meanwhile (the version of the STATE item and of every value read), and
  run again if one did.
- **Waiting** for a busy object costs reads, not writes: after a failed acquire the caller polls the
  STATE item (strongly consistent, a fifth of a write's price) with jittered backoff until the lease is
  free, within its wait budget (never past its invocation's deadline), then tries again.
- **Background turns yield.** An alarm turn, and every turn it calls, waits at most
  :data:`BACKGROUND_WAIT_SECONDS` for an object it calls while holding its own. Two turns that take the
  same two objects in opposite orders (a chat turn: conversation, then travel; a travel alarm: travel,
  then conversation) would otherwise each wait out their whole budget for the other: the alarm gives up
  instead (its writes undone, the alarm deferred a moment, not counted as a failure), and the request
  in front of a user goes on.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from . import claims, clock, codec
from .claims import KeyClaim
from .connections import run_after_commit, withdraw_streamed
from .errors import (
    IdempotencyKeyReused,
    LeaseLost,
    ObjectBusy,
    ReentrancyError,
    ServiceUnavailable,
    UnknownMethod,
)
from .ids import ObjectId
from .lease import Backoff, lease_until, new_owner, wait_budget
from .objects import ObjectContext, rpc_options
from .storage import Storage
from .table import AcquireFailed, Close, Commit, Record, RecordExists, StateSnapshot, StateTable

if TYPE_CHECKING:
    from .env import Env

logger = logging.getLogger(__name__)

READ_ONLY_ATTEMPTS = 3
BACKGROUND_WAIT_SECONDS = 1.0
"""How long a background (alarm) turn waits for another object it calls, while holding its own."""
PREFETCH_KEYS = 16

_learned: dict[tuple[type, str], tuple[str, ...]] = {}
"""(class, method) -> the keys its last turn in this process had to read from their own items: the
next turn reads them in one request right after its acquire (a hint: reads under the lease are always
consistent, so a wrong hint costs a read, never a wrong value)."""

_CHAIN: ContextVar[tuple[str, ...]] = ContextVar("durable_agents_call_chain", default=())
_TURN: ContextVar[Turn | None] = ContextVar("durable_agents_turn", default=None)


def current_call_chain() -> tuple[str, ...]:
    """The objects held by the current logical call chain, outermost first."""
    return _CHAIN.get()


def in_turn() -> bool:
    """Whether code is running inside an object's turn, read-only ones included (stub calls then run in
    this process, which hosts objects already)."""
    return bool(_CHAIN.get())


def fingerprint(method: str, args: list[Any], kwargs: Mapping[str, Any]) -> str:
    """What identifies a request for its idempotency key: the method and its arguments, as JSON."""
    text = codec.encode([method, args, {key: kwargs[key] for key in sorted(kwargs)}])
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="durable-record")


@cache
def _beside_pool() -> ThreadPoolExecutor:
    """The reads beside an acquire (their own pool: a read never waits behind record reads)."""
    return ThreadPoolExecutor(max_workers=32, thread_name_prefix="durable-beside")


@dataclass(frozen=True, slots=True)
class Replay:
    """A call answered from its idempotency record: nothing ran."""

    value: Any


@dataclass(slots=True)
class Held:
    """An object a turn holds: its lease, its storage, and the calls to record in the commit."""

    object_id: ObjectId
    owner: str
    fence: int
    snapshot: StateSnapshot
    storage: Storage
    records: list[tuple[str, str, str]] = field(default_factory=list)
    """``(idempotency key, fingerprint, response JSON)`` of the keyed calls answered under this lease."""

    def release_close(self) -> Close:
        return Close(pk=self.object_id.key, owner=self.owner, fence=self.fence, snapshot=self.snapshot)


@dataclass(slots=True)
class Turn:
    """A turn and the turns joined to it: everything its commit writes."""

    token: str
    until: int
    background: bool = False
    """An alarm turn, or a turn one started: it yields to a busy object (see the module documentation)."""
    root: Held | None = None
    joined: dict[str, Held] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def holding(self, key: str) -> Held | None:
        if self.root is not None and self.root.object_id.key == key:
            return self.root
        with self.lock:
            return self.joined.get(key)

    def all_held(self) -> list[Held]:
        with self.lock:
            return ([self.root] if self.root is not None else []) + list(self.joined.values())


def run_alarm(env: Env, object_id: ObjectId) -> str:
    """Deliver the object's alarm if it is due (see :mod:`durable_agents.runtime.alarms`): ``"fired"``,
    ``"retry"`` (its ``alarm()`` raised; tried again later), ``"failed"`` (out of retries),
    ``"deferred"`` (an object it called was busy: tried again in a moment, not counted as a failure),
    ``"not_due"`` (none set, or not yet: a late or duplicate delivery changes nothing)."""
    cls = env.namespace(object_id.namespace).object_class
    chain_token = _CHAIN.set((object_id.key,))
    try:
        return _Call(env, object_id, cls, "alarm", [], {}, None, None).alarm_turn()
    finally:
        _CHAIN.reset(chain_token)


def run_turn(
    env: Env,
    object_id: ObjectId,
    method: str,
    args: list[Any],
    kwargs: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    call_chain: tuple[str, ...] | None = None,
    join: bool = False,
    claim: KeyClaim | None = None,
) -> Any:
    """Run ``method`` on the object ``object_id`` and return its JSON-able result (``claim``: a key
    claimed in another object beside the acquire; see the module documentation)."""
    namespace = env.namespace(object_id.namespace)
    cls = namespace.object_class
    options = rpc_options(cls, method)
    if options is None:
        raise UnknownMethod(f"{cls.__name__} has no RPC method {method!r}")
    chain = _CHAIN.get() if call_chain is None else call_chain
    if object_id.key in chain:
        raise ReentrancyError(
            f"{object_id.label} is already held by this call chain "
            f"({' -> '.join(chain)}); calling it again would deadlock"
        )
    call = _Call(env, object_id, cls, method, args, kwargs, idempotency_key, request_fingerprint)
    call.claim = claim
    chain_token = _CHAIN.set((*chain, object_id.key))
    try:
        turn = _TURN.get()
        held = turn.holding(object_id.key) if turn is not None else None
        if claim is not None and (held is not None or options.read_only):
            claims.claim(env, claim)  # no acquire to put it beside
        if held is not None:
            return call.run_in(held, read_only=options.read_only, turn=turn)  # type: ignore[arg-type]
        if options.read_only:
            return call.read_only()
        if join and turn is not None:
            return call.joined(turn)
        return call.root()
    finally:
        _CHAIN.reset(chain_token)


class _Call:
    """One call's way through a turn (see the module documentation)."""

    def __init__(
        self,
        env: Env,
        object_id: ObjectId,
        cls: type,
        method: str,
        args: list[Any],
        kwargs: Mapping[str, Any],
        key: str | None,
        request_fingerprint: str | None,
    ):
        self.env = env
        self.table: StateTable = env.table
        self.object_id = object_id
        self.pk = object_id.key
        self.cls = cls
        self.method = method
        self.args = args
        self.kwargs = kwargs
        self.key = key
        self.fingerprint = request_fingerprint or (
            fingerprint(method, args, kwargs) if key is not None else ""
        )
        self.beside: Future[Any] | None = None
        self.claim: KeyClaim | None = None

    # --- the kinds of call -----------------------------------------------------------------------------

    def root(self) -> Any:
        """A turn of its own: acquire, run (with any joined turns), commit them all, release."""
        turn = Turn(token=uuid.uuid4().hex, until=self._until(), background=_in_background())
        self.beside = self._start_beside()
        held = self._claimed(turn)
        if isinstance(held, Replay):
            return held.value
        turn.root = held
        token = _TURN.set(turn)
        try:
            result = self._run(held, turn)
        except BaseException:
            _TURN.reset(token)
            everyone = turn.all_held()
            _release_all(self.table, everyone)
            for one in everyone:
                withdraw_streamed(one.storage)
            raise
        _TURN.reset(token)
        return self._commit(turn, result)

    def joined(self, turn: Turn) -> Any:
        """A turn joined to ``turn``: its writes wait for ``turn``'s commit (a clean one releases now)."""
        self.beside = self._start_beside()
        held = self._claimed(turn)
        if isinstance(held, Replay):
            return held.value
        try:
            result = self._run(held, turn)
        except BaseException:
            _release_all(self.table, [held])
            raise
        if not held.storage.dirty and not held.records:
            self.table.release(held.release_close())
        else:
            with turn.lock:
                turn.joined[self.pk] = held
        return codec.decode(result)

    def run_in(self, held: Held, *, read_only: bool, turn: Turn) -> Any:
        """A call on an object this turn already holds: it runs on the turn's view of it."""
        storage = held.storage
        previous = storage._read_only
        storage._read_only = previous or read_only
        try:
            return codec.decode(self._run(held, turn))
        finally:
            storage._read_only = previous

    def read_only(self) -> Any:
        """A read-only method: a consistent view without the lease (see the module documentation)."""
        for _ in range(READ_ONLY_ATTEMPTS):
            snapshot = self.table.peek(self.pk)
            storage = Storage(self.table, self.pk, snapshot, read_only=True)
            ctx = ObjectContext(
                id=self.object_id, storage=storage, call_chain=_CHAIN.get(), fence=snapshot.fence
            )
            result = codec.decode(self._invoke(ctx))
            if not storage.read_items:
                return result
            if storage.read_version <= snapshot.ver and self.table.peek(self.pk).ver == snapshot.ver:
                return result
        # commits kept landing while it read: run it under the lease once (it still cannot write)
        turn = Turn(token=uuid.uuid4().hex, until=self._until(), background=_in_background())
        held = self._acquire(turn)
        assert isinstance(held, Held)  # read-only calls carry no idempotency key
        held.storage._read_only = True
        try:
            return codec.decode(self._run(held, turn))
        finally:
            _release_all(self.table, [held])

    def alarm_turn(self) -> str:
        """The alarm as an ordinary turn under the lease: the alarm is cleared before ``alarm(info)``
        runs (which may set a new one); if it raises, its writes are undone and the alarm is set again
        with exponential backoff, at most :data:`~durable_agents.runtime.alarms.MAX_RETRIES` times. If
        an object it calls is busy, it yields: its writes are undone and the alarm is deferred
        (:func:`~durable_agents.runtime.alarms.deferral_ms`) with its retry count unchanged."""
        from .alarms import MAX_RETRIES, AlarmInfo, backoff_ms, deferral_ms

        turn = Turn(token=uuid.uuid4().hex, until=self._until(), background=True)
        held = self._acquire(turn)
        assert isinstance(held, Held)  # no idempotency key
        alarm = held.snapshot.alarm
        now = clock.now_ms()
        if alarm is None or alarm > now:
            self.table.release(held.release_close())
            return "not_due"
        retry = held.snapshot.alarm_retry
        storage = held.storage
        storage.delete_alarm()
        turn.root = held
        self.args = [AlarmInfo(retry_count=retry, is_retry=retry > 0)]
        token = _TURN.set(turn)
        outcome = "fired"
        try:
            if getattr(self.cls, "alarm", None) is None:
                logger.warning(
                    "%s has an alarm but no alarm() method; the alarm is dropped", self.object_id.label
                )
            else:
                storage.transaction(lambda _: self._run(held, turn))
        except ObjectBusy as busy:
            logger.info("the alarm of %s yields to a busy object (%s); deferred", self.object_id.label, busy)
            storage._set_alarm(now + deferral_ms(), retry)
            outcome = "deferred"
        except Exception:
            if retry + 1 > MAX_RETRIES:
                logger.exception(
                    "the alarm of %s failed %d times; it is dropped", self.object_id.label, retry + 1
                )
                outcome = "failed"
            else:
                logger.warning(
                    "the alarm of %s failed (attempt %d); retrying",
                    self.object_id.label,
                    retry + 1,
                    exc_info=True,
                )
                storage._set_alarm(now + backoff_ms(retry), retry + 1)
                outcome = "retry"
        except BaseException:
            _TURN.reset(token)
            _release_all(self.table, turn.all_held())
            raise
        _TURN.reset(token)
        if outcome != "fired":  # the turns joined to a delivery that failed or yielded are undone with it
            _release_all(self.table, list(turn.joined.values()))
            turn.joined.clear()
        self._commit(turn, "null")
        return outcome

    # --- the steps -------------------------------------------------------------------------------------

    def _until(self) -> int:
        settings = self.env.settings
        return lease_until(
            default_seconds=settings.lease_seconds, margin_seconds=settings.lease_margin_seconds
        )

    def _start_beside(self) -> Future[Any] | None:
        """The class's read beside the acquire for this call, started (see the module documentation);
        ``None`` when it names none (or cannot, from these arguments)."""
        hook = getattr(self.cls, "beside_acquire", None)
        if hook is None:
            return None
        try:
            read: Callable[[], Any] | None = hook(self.env, self.method, self.args, self.kwargs)
        except Exception:  # noqa: BLE001 - arguments the method itself will refuse: nothing to read
            return None
        if read is None:
            return None
        return _beside_pool().submit(contextvars.copy_context().run, read)

    def _claimed(self, turn: Turn) -> Held | Replay:
        """:meth:`_acquire`, with the call's key claim (if any) made beside it and checked before
        anything runs or is replayed (a refused claim gives the lease back)."""
        if self.claim is None:
            return self._acquire(turn)
        claiming = _beside_pool().submit(contextvars.copy_context().run, claims.claim, self.env, self.claim)
        try:
            held = self._acquire(turn)
        except BaseException:
            refused = claiming.exception()  # let it land before the caller hears (a retry finds it)
            if isinstance(refused, IdempotencyKeyReused):
                raise refused from None  # the lasting answer, rather than "busy, retry"
            raise
        try:
            claiming.result()
        except BaseException:
            if isinstance(held, Held):
                _release_all(self.table, [held])
            raise
        return held

    def _acquire(self, turn: Turn) -> Held | Replay:
        """Take the lease (waiting for it cheaply), with the idempotency record read beside the acquire;
        a :class:`Replay` when the call was answered before (the lease is not kept then)."""
        record_future: Future[Record | None] | None = None
        if self.key is not None:
            record_future = _pool().submit(self.table.get_record, self.pk, self.key)
        settings = self.env.settings
        owner = new_owner()
        expires_at = (clock.now_ms() + settings.retention_ms(self.object_id.namespace)) // 1000
        budget = settings.busy_wait_seconds
        if _in_background():
            budget = min(budget, BACKGROUND_WAIT_SECONDS)  # it holds an object a chat turn may want
        backoff = Backoff(wait_budget(budget))
        snapshot: StateSnapshot | None = None
        while snapshot is None:
            if turn.root is None:
                # the turn's own lease starts when it is taken, however long the wait for it was (the turns
                # joined to it end with it)
                turn.until = self._until()
            try:
                snapshot = self.table.acquire(
                    self.pk, owner=owner, until=turn.until, now=clock.now_ms(), expires_at=expires_at
                )
            except AcquireFailed as busy:
                answered = (
                    record_future.result() if record_future is not None and record_future.done() else None
                )
                if answered is not None:
                    return self._replay(answered)  # answered before: no need to wait for the lease
                if not self._wait(backoff):
                    left = ((busy.until or clock.now_ms()) - clock.now_ms()) / 1000
                    raise ObjectBusy(
                        self.object_id.label, busy.holder, busy.until, min(max(left, 0.1), 5.0)
                    ) from None
        held = Held(
            object_id=self.object_id,
            owner=owner,
            fence=snapshot.fence,
            snapshot=snapshot,
            storage=Storage(self.table, self.pk, snapshot),
        )
        if record_future is not None:
            try:
                record = record_future.result()
            except BaseException:
                _release_all(self.table, [held])
                raise
            if record is not None:
                _release_all(self.table, [held])
                return self._replay(record)
        return held

    def _wait(self, backoff: Backoff) -> bool:
        """Sleep, then poll the STATE item until the lease looks free; ``False`` when the budget is spent."""
        while backoff.sleep():
            if not self.table.peek(self.pk).held(clock.now_ms()):
                return True
        return False

    def _run(self, held: Held, turn: Turn) -> str:
        """Run the method on ``held``'s storage; the result as JSON (its record buffered when keyed)."""
        ctx = ObjectContext(
            id=self.object_id,
            storage=held.storage,
            lease_until=turn.until,
            extend_lease=lambda seconds: _extend(self.table, turn, seconds),
            call_chain=_CHAIN.get(),
            fence=held.fence,
            beside=self.beside,
        )
        text = self._invoke(ctx)
        if self.key is not None:
            held.records.append((self.key, self.fingerprint, text))
        return text

    def _invoke(self, ctx: ObjectContext) -> str:
        """Run the method; its result as JSON. The keys it read last time are fetched first, at once."""
        hint = (self.cls, self.method)
        storage = ctx.storage
        storage.prefetch(_learned.get(hint, ()))
        text = codec.encode(getattr(self.cls(ctx, self.env), self.method)(*self.args, **self.kwargs))
        read = tuple(dict.fromkeys(storage.read_keys))[:PREFETCH_KEYS]
        if read and _learned.get(hint) != read:
            _learned[hint] = read
        return text

    def _commit(self, turn: Turn, result: str) -> Any:
        """Commit the root and every joined turn at once (or just release a root that changed nothing)."""
        root = turn.root
        assert root is not None
        everyone = turn.all_held()
        if len(everyone) == 1 and not root.storage.dirty and not root.records:
            self.table.release(root.release_close())
            return codec.decode(result)
        after_commit = [callback for held in everyone for callback in held.storage.after_commit]
        now = clock.now_ms()
        settings = self.env.settings
        commit = Commit(token=turn.token, closes=[])
        for held in everyone:
            namespace = held.object_id.namespace
            if held.storage.dirty or held.records:
                plan = held.storage.plan(
                    owner=held.owner, fence=held.fence, retention_ms=settings.retention_ms(namespace), now=now
                )
                commit.closes.append(plan.close)
                commit.puts += plan.puts
                commit.deletes += plan.deletes
                commit.pre_puts += plan.pre_puts
            else:
                commit.closes.append(held.release_close())
        for held in everyone:
            record_until = (now + int(settings.idempotency_seconds(held.object_id.namespace) * 1000)) // 1000
            for key, request_fingerprint, response in held.records:
                items = StateTable.record_items(
                    held.object_id.key,
                    key,
                    fingerprint=request_fingerprint,
                    turn=turn.token,
                    response=response,
                    expires_at=record_until,
                    now=now,
                )
                commit.records[len(commit.puts)] = key
                commit.puts += items
        try:
            self.table.commit(commit)
        except RecordExists as exists:
            _release_all(self.table, everyone)
            record = self.table.get_record(self.pk, exists.key) if exists.key == self.key else None
            if record is None:
                raise ServiceUnavailable(
                    "a concurrent call with the same idempotency key committed first; "
                    "nothing was stored, retry"
                ) from None
            return self._replay(record).value  # the other call's response is the answer
        except BaseException:
            _release_all(self.table, everyone)
            for held in everyone:
                withdraw_streamed(held.storage)
            raise
        run_after_commit(after_commit)  # the output gate opens: the commit has landed
        return codec.decode(result)

    def _replay(self, record: Record) -> Replay:
        if record.fingerprint != self.fingerprint:
            raise IdempotencyKeyReused(
                f"idempotency key {self.key!r} was used for another request on {self.object_id.label}; "
                "nothing ran (send a new key for a new request)"
            )
        return Replay(codec.decode(record.response))


def _in_background() -> bool:
    """Whether the call runs inside a background (alarm) turn, holding that turn's objects."""
    outer = _TURN.get()
    return outer is not None and outer.background


def _extend(table: StateTable, turn: Turn, seconds: float) -> None:
    """Push out the lease of every object the turn holds (fenced: only a holder can)."""
    until = clock.now_ms() + int(seconds * 1000)
    for held in turn.all_held():
        table.extend(held.object_id.key, owner=held.owner, fence=held.fence, until=until)
    turn.until = max(turn.until, until)


def _release_all(table: StateTable, held: list[Held]) -> None:
    """Give back the leases of a turn that failed; if a release fails too, that lease simply expires."""
    for one in held:
        try:
            table.release(one.release_close())
        except LeaseLost:
            pass
        except Exception:  # noqa: BLE001 - the turn's own error is the one to report
            logger.warning(
                "could not release the lease of %s; it will expire", one.object_id.key, exc_info=True
            )
