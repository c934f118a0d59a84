"""One turn: take the object's lease, run one method, commit its writes and release, exactly once.

This is the only place objects run. Two DynamoDB requests per turn: the acquire (which also loads the
state) and the commit (which also releases). A message id seen recently returns the recorded response
and runs nothing. Read-only methods skip the lease and read a consistent snapshot instead.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from . import codec
from .errors import LeaseLost, ObjectBusy, ReentrancyError, UnknownMethod
from .ids import ObjectId
from .lease import Backoff, lease_until, new_owner, wait_budget
from .objects import ObjectContext, rpc_options
from .storage import Storage
from .table import AcquireFailed, StateSnapshot, now_ms

if TYPE_CHECKING:
    from .env import Env

logger = logging.getLogger(__name__)

DONE_ENTRIES = 32
DONE_RESPONSE_BYTES = 24 * 1024
DONE_BUDGET_BYTES = 96 * 1024
REPLAY_UNAVAILABLE = '{"replayUnavailable":true}'

_CHAIN: ContextVar[tuple[str, ...]] = ContextVar("durable_agents_call_chain", default=())


def current_call_chain() -> tuple[str, ...]:
    """The objects held by the current logical call chain, outermost first."""
    return _CHAIN.get()


def run_turn(
    env: Env,
    object_id: ObjectId,
    method: str,
    args: list[Any],
    kwargs: Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
    call_chain: tuple[str, ...] | None = None,
) -> Any:
    """Run ``method`` on the object ``object_id`` and return its JSON-able result."""
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
    token = _CHAIN.set((*chain, object_id.key))
    try:
        if options.read_only:
            snapshot = env.table.read_state(object_id.key)
            storage = Storage(env.table, object_id.key, snapshot, read_only=True)
            ctx = ObjectContext(id=object_id, storage=storage, call_chain=_CHAIN.get())
            return codec.copy_as_json(getattr(cls(ctx, env), method)(*args, **kwargs))
        return _locked_turn(env, object_id, cls, method, args, kwargs, idempotency_key)
    finally:
        _CHAIN.reset(token)


def _locked_turn(
    env: Env,
    object_id: ObjectId,
    cls: type,
    method: str,
    args: list[Any],
    kwargs: Mapping[str, Any],
    idempotency_key: str | None,
) -> Any:
    settings = env.settings
    table = env.table
    pk = object_id.key
    owner = new_owner()
    turn_id = uuid.uuid4().hex
    snapshot = _acquire(env, object_id, owner)
    fence = snapshot.fence
    try:
        if idempotency_key is not None and idempotency_key in snapshot.done:
            table.release(pk, owner=owner, fence=fence, turn_id=turn_id)
            return codec.decode(snapshot.done[idempotency_key]["r"])

        def extend(seconds: float) -> None:
            table.extend(pk, owner=owner, fence=fence, lease_until=now_ms() + int(seconds * 1000))

        storage = Storage(table, pk, snapshot)
        ctx = ObjectContext(
            id=object_id,
            storage=storage,
            lease_until=snapshot.lease_until,
            extend_lease=extend,
            call_chain=_CHAIN.get(),
        )
        result_text = codec.encode(getattr(cls(ctx, env), method)(*args, **kwargs))
        if not storage.dirty and idempotency_key is None:
            table.release(pk, owner=owner, fence=fence, turn_id=turn_id)
        else:
            retention_ms = int(settings.retention_days(object_id.namespace) * 86_400_000)
            commit = storage.build_commit(
                turn_id=turn_id,
                owner=owner,
                fence=fence,
                expires_at=(now_ms() + retention_ms) // 1000,
                done=_remember(snapshot, idempotency_key, result_text),
            )
            table.commit(pk, commit, now=now_ms())
        return codec.decode(result_text)
    except BaseException:
        _release_quietly(env, pk, owner, fence, turn_id)
        raise


def _acquire(env: Env, object_id: ObjectId, owner: str) -> StateSnapshot:
    settings = env.settings
    backoff = Backoff(wait_budget(settings.busy_wait_seconds))
    while True:
        now = now_ms()
        try:
            return env.table.acquire(
                object_id.key,
                owner=owner,
                lease_until=lease_until(
                    default_seconds=settings.lease_seconds, margin_seconds=settings.lease_margin_seconds, now=now
                ),
                now=now,
                namespace=object_id.namespace,
                name=object_id.name,
            )
        except AcquireFailed as busy:
            if not backoff.sleep():
                left = ((busy.lease_until or now) - now_ms()) / 1000
                raise ObjectBusy(object_id.label, busy.holder, busy.lease_until, min(max(left, 0.1), 5.0)) from None


def _remember(snapshot: StateSnapshot, message_id: str | None, result_text: str) -> dict[str, dict[str, Any]]:
    """The recent-message map after this turn: newest first, at most ``DONE_ENTRIES`` entries and
    ``DONE_BUDGET_BYTES`` of responses, so the state item stays small. A response too large to keep is
    remembered as applied without its body (a retry gets ``{"replayUnavailable": true}``)."""
    done = dict(snapshot.done)
    if message_id is not None:
        text = result_text if len(result_text.encode()) <= DONE_RESPONSE_BYTES else REPLAY_UNAVAILABLE
        done[message_id] = {"t": now_ms(), "r": text}
    kept: dict[str, dict[str, Any]] = {}
    budget = DONE_BUDGET_BYTES
    for key, entry in sorted(done.items(), key=lambda item: item[1]["t"], reverse=True):
        budget -= len(entry["r"].encode()) + len(key)
        if len(kept) == DONE_ENTRIES or budget < 0:
            break
        kept[key] = entry
    return kept


def _release_quietly(env: Env, pk: str, owner: str, fence: int, turn_id: str) -> None:
    """Give the lease back after a failed turn; if that fails too, the lease simply expires."""
    try:
        env.table.release(pk, owner=owner, fence=fence, turn_id=turn_id)
    except LeaseLost:
        pass
    except Exception:  # noqa: BLE001 - the turn's own error is the one to report
        logger.warning("could not release the lease of %s; it will expire", pk, exc_info=True)
