"""Durable objects on DynamoDB: named, stateful objects with one writer at a time.

The names follow Cloudflare's Durable Objects API::

    from durable_agents.runtime import DurableObject, rpc, default_env

    class Counter(DurableObject):
        @rpc
        def increment(self, by: int = 1) -> int:
            value = (self.storage.get("count") or 0) + by
            self.storage.put("count", value)
            return value

    env = default_env()                       # bindings from BINDING_* (template.yaml)
    stub = env.COUNTER.get(env.COUNTER.id_from_name("visits"))
    stub.increment(by=2)                      # runs under the object's lease; 2 DynamoDB requests
"""

from .alarms import AlarmInfo
from .claims import KeyClaim
from .env import Env, default_env, reset_default_env
from .errors import (
    CommitOutcomeUnknown,
    DurableObjectError,
    IdempotencyKeyReused,
    InvalidKey,
    InvalidObjectName,
    InvalidValue,
    LeaseLost,
    ObjectBusy,
    ObjectCallError,
    ReentrancyError,
    ServiceUnavailable,
    TurnTooLarge,
    UnknownBinding,
    UnknownMethod,
)
from .ids import ObjectId
from .lease import lambda_invocation
from .namespace import Namespace, ObjectStub
from .objects import DurableObject, ObjectContext, rpc
from .schedules import Scheduling
from .storage import History, ReadOnlyStorageError, Storage

__all__ = [
    "AlarmInfo",
    "CommitOutcomeUnknown",
    "DurableObject",
    "DurableObjectError",
    "Env",
    "KeyClaim",
    "History",
    "IdempotencyKeyReused",
    "InvalidKey",
    "InvalidObjectName",
    "InvalidValue",
    "LeaseLost",
    "Namespace",
    "ObjectBusy",
    "ObjectCallError",
    "ObjectContext",
    "ObjectId",
    "ObjectStub",
    "ReadOnlyStorageError",
    "ReentrancyError",
    "Scheduling",
    "ServiceUnavailable",
    "Storage",
    "TurnTooLarge",
    "UnknownBinding",
    "UnknownMethod",
    "default_env",
    "lambda_invocation",
    "reset_default_env",
    "rpc",
]
