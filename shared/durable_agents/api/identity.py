"""Who is calling: the authorizer's identity in AWS, the client's claim only on the local stack.

========================  ===================================  =========================================
where                     identity                             without one
========================  ===================================  =========================================
AWS (``TRUST_CLIENT_      ``requestContext.authorizer``: the   401 ``unauthorized``; ``userId`` in the
IDENTITY=false``)         Cognito ``sub`` claim, or a Lambda   body and ``X-User-Id`` are ignored
                          authorizer's ``principalId``
local stack (``TRUST_     the authorizer's when present, else  anonymous: the caller of one session
CLIENT_IDENTITY=true``)   ``userId`` / ``X-User-Id`` (must     (``anonymous:<sessionId>``), listed in no
                          agree)                               session manager
========================  ===================================  =========================================

Every session, idempotency key and object name the API derives is scoped to :attr:`Caller.user_id`, so
one caller can never reach, probe or replay another's.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..agents.errors import Forbidden
from ..agents.session import ANONYMOUS_PREFIX
from .errors import ApiError

_KEYS = uuid.UUID("6f1b7d0e-3c51-4c0b-9a53-2b4f0d5a9e11")


def scoped_key(owner: str, purpose: str, key: str) -> str:
    """An ``Idempotency-Key`` as the caller's own: the same key sent by another caller (or for another
    purpose) is another key, so it can neither replay nor block someone else's call."""
    return uuid.uuid5(_KEYS, f"{purpose}\x00{owner}\x00{key}").hex


def request_fingerprint(*parts: Any) -> str:
    """What an idempotency key is checked against: the request as the client sent it (canonical JSON),
    so a retry matches and another request under the same key is refused."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller of one request. ``user_id`` is ``None`` for an anonymous local caller."""

    user_id: str | None
    verified: bool

    def require_user(self) -> str:
        """The user id, or 401 for an anonymous caller (routes that list or look up a user's data)."""
        if self.user_id is None:
            raise ApiError(
                401,
                "unauthorized",
                "this route needs a caller identity (on the local stack: an X-User-Id header or userId)",
            )
        return self.user_id

    def owner_of(self, session_id: str) -> str:
        """Whom a session belongs to: the user, or for an anonymous caller that session alone."""
        return self.user_id if self.user_id is not None else f"{ANONYMOUS_PREFIX}{session_id}"


def authorizer_identity(event: Mapping[str, Any]) -> str | None:
    """The user API Gateway's authorizer vouches for: the Cognito ``sub`` claim, or a Lambda authorizer's
    ``principalId``; ``None`` when the request carries no authorizer context."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    for candidate in (claims.get("sub"), authorizer.get("principalId")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def resolve_caller(
    event: Mapping[str, Any], claimed: tuple[str | None, ...], *, trust_client: bool
) -> Caller:
    """The caller of ``event``. ``claimed`` are the client's own claims (body ``userId``, ``X-User-Id``),
    already syntax-checked; they count only when ``trust_client`` (the local stack)."""
    verified = authorizer_identity(event)
    claims = {value for value in claimed if value}
    if verified is not None:
        if trust_client and claims - {verified}:
            raise Forbidden("userId does not match the authenticated caller")
        return Caller(user_id=verified, verified=True)
    if not trust_client:
        raise ApiError(401, "unauthorized", "sign in: this API needs an authenticated caller")
    if len(claims) > 1:
        raise ApiError(400, "invalid_request", "userId and X-User-Id disagree")
    user = claims.pop() if claims else None
    if user is not None and user.startswith(ANONYMOUS_PREFIX):
        raise ApiError(400, "invalid_request", f"user ids starting with {ANONYMOUS_PREFIX!r} are reserved")
    return Caller(user_id=user, verified=False)
