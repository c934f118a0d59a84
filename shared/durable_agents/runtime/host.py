"""The object host: runs one call on one object from an event (the ObjectHost Lambda, Step Functions).

Event: ``{"namespace", "name" | "id", "method", "args", "kwargs", "idempotencyKey"?, "fingerprint"?,
"callChain"?, "deadline"?}``; ``deadline`` (epoch ms) is the caller's, so the call never outlives it.
An alarm's delivery (from the sweeper) is ``{"alarm": {"namespace", "id"}}``: it runs the object's alarm
turn and answers ``{"alarm": "fired" | "retry" | "deferred" | "failed" | "not_due"}``.
Errors propagate as exceptions, so Lambda reports their class name as ``errorType`` (``ObjectBusy`` is
what a Step Functions ``Retry`` matches); AWS failures that outlasted the SDK's retries become
``ServiceUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .claims import KeyClaim
from .env import Env
from .errors import ServiceUnavailable, is_transient_aws_error
from .ids import ObjectId
from .turn import run_alarm, run_turn


class ObjectCall(BaseModel):
    """One call on one object, as an event."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    namespace: str
    name: str | None = None
    id: str | None = None
    method: str
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, alias="idempotencyKey")
    fingerprint: str | None = None
    call_chain: list[str] = Field(default_factory=list, alias="callChain")
    """Objects the caller holds: state-table keys (``NS#<hex id>``) or names (``NS#<name>``)."""
    deadline: int | None = None
    """The caller's deadline (epoch ms): the call's lease and waits end by it."""
    claim: KeyClaim | None = None
    """A key claimed in another object beside the acquire (:mod:`~durable_agents.runtime.claims`)."""

    @model_validator(mode="after")
    def _name_or_id(self) -> ObjectCall:
        if (self.name is None) == (self.id is None):
            raise ValueError("give exactly one of 'name' and 'id'")
        return self

    def object_id(self, env: Env) -> ObjectId:
        namespace = env.namespace(self.namespace)
        return (
            namespace.id_from_name(self.name)
            if self.name is not None
            else namespace.id_from_string(self.id or "")
        )


class AlarmTarget(BaseModel):
    """Whose alarm an alarm event delivers."""

    model_config = ConfigDict(extra="forbid")

    namespace: str
    id: str


class AlarmDelivery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alarm: AlarmTarget


def caller_deadline(event: Any) -> int | None:
    """The caller's deadline an event carries (``deadline``, epoch ms), if any."""
    deadline = event.get("deadline") if isinstance(event, dict) else None
    return deadline if isinstance(deadline, int) and not isinstance(deadline, bool) else None


def host_call(event: dict[str, Any], env: Env) -> Any:
    """Validate ``event`` and run it; return the method's JSON result."""
    if isinstance(event, dict) and "alarm" in event:
        target = AlarmDelivery.model_validate(event).alarm
        object_id = env.namespace(target.namespace).id_from_string(target.id)
        return _mapped(lambda: {"alarm": run_alarm(env, object_id)})
    call = ObjectCall.model_validate(event)
    return _mapped(
        lambda: run_turn(
            env,
            call.object_id(env),
            call.method,
            call.args,
            call.kwargs,
            idempotency_key=call.idempotency_key,
            request_fingerprint=call.fingerprint,
            call_chain=tuple(_chain_key(entry, env) for entry in call.call_chain),
            claim=call.claim,
        )
    )


def _mapped(run: Callable[[], Any]) -> Any:
    """``run()``, with AWS failures that outlasted the SDK's retries raised as ServiceUnavailable."""
    try:
        return run()
    except Exception as error:
        # botocore's own error classes would reach the caller as a bare "ClientError": say what it means
        if is_transient_aws_error(error):
            raise ServiceUnavailable(f"an AWS service stayed unavailable past retries: {error}") from error
        raise


def _chain_key(entry: str, env: Env) -> str:
    """A call-chain entry as the state-table key the runtime compares (callers such as the state
    machine name objects by name)."""
    namespace, _, rest = entry.partition("#")
    if len(rest) == 64 and all(ch in "0123456789abcdef" for ch in rest):
        return entry
    return env.namespace(namespace).id_from_name(rest).key
