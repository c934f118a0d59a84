"""Key claims: one idempotency key honoured across many objects, claimed in one of them.

A call's idempotency key is an object's own: its record lives in that object (``I#<key>``, see
:mod:`~durable_agents.runtime.table`). When one key must be one request across several objects (a
client's key across all of its sessions), the call carries a :class:`KeyClaim`: the key, with the
request's fingerprint, is claimed in a third object (the one the keys belong to) by a single
conditional ``PutItem`` of a record there, issued *beside* the call's acquire, in parallel. The claim
decides before the method runs:

- nobody held the key: it is this request's now, and the call runs;
- the same request holds it (a retry, or this very claim whose response was lost and re-sent): the
  call goes on, and its own record replays the answer if it was given;
- another request holds it: :class:`~durable_agents.runtime.errors.IdempotencyKeyReused`, nothing ran.

A claim lasts the claiming object's idempotency window (``settings.idempotency_seconds``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from . import clock
from .errors import IdempotencyKeyReused

if TYPE_CHECKING:
    from .env import Env


class KeyClaim(BaseModel):
    """Claim ``key`` for the request ``fingerprint`` in the object ``namespace``/``name``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    name: str
    key: str
    fingerprint: str


def claim(env: Env, wanted: KeyClaim) -> None:
    """Claim ``wanted.key`` (one conditional ``PutItem``, a read after it only if the key is held).

    Args:
        env: the runtime's environment.
        wanted: the claim.

    Raises:
        IdempotencyKeyReused: another request (another fingerprint) holds the key.
    """
    object_id = env.namespace(wanted.namespace).id_from_name(wanted.name)
    window_ms = int(env.settings.idempotency_seconds(wanted.namespace) * 1000)
    held = env.table.claim(
        object_id.key,
        wanted.key,
        fingerprint=wanted.fingerprint,
        turn=uuid.uuid4().hex,
        expires_at=(clock.now_ms() + window_ms) // 1000,
    )
    if held is not None and held.fingerprint != wanted.fingerprint:
        raise IdempotencyKeyReused(
            f"idempotency key {wanted.key!r} was used for another request; nothing ran "
            "(send a new key for a new request)"
        )
