"""Errors raised by the durable-object runtime. Each one says what happened and what to do about it."""

from __future__ import annotations


class DurableObjectError(Exception):
    """Base class of every runtime error."""

    code = "object_error"


class InvalidKey(DurableObjectError, ValueError):
    """A storage key is not a non-empty string of at most :data:`MAX_KEY_BYTES` UTF-8 bytes."""

    code = "invalid_key"


class InvalidValue(DurableObjectError, ValueError):
    """A storage value cannot be stored (not JSON-able, NaN, or too large)."""

    code = "invalid_value"


class InvalidObjectName(DurableObjectError, ValueError):
    """An object name or id string is malformed."""

    code = "invalid_name"


class UnknownBinding(DurableObjectError, LookupError):
    """No namespace binding of that name is declared (``BINDING_<NAME>`` in template.yaml)."""

    code = "unknown_namespace"


class UnknownMethod(DurableObjectError, LookupError):
    """The object class has no RPC method of that name (only ``@rpc`` methods can be called)."""

    code = "unknown_method"


class ObjectBusy(DurableObjectError):
    """Another turn holds the object's lease and did not release it within the caller's wait budget.

    ``holder`` is the lease owner and ``lease_until`` (epoch milliseconds) when its lease runs out;
    ``retry_after`` is a suggested wait in seconds.
    """

    code = "busy"

    def __init__(self, object_key: str, holder: str | None, lease_until: int | None, retry_after: float):
        self.object_key = object_key
        self.holder = holder
        self.lease_until = lease_until
        self.retry_after = retry_after
        super().__init__(
            f"object {object_key} is busy: held by {holder or 'another turn'} until {lease_until} "
            f"(epoch ms); retry after {retry_after:.1f}s"
        )


class LeaseLost(DurableObjectError):
    """This turn's lease was taken over (it expired); its writes were rejected and nothing was stored."""

    code = "lease_lost"


class CommitOutcomeUnknown(DurableObjectError):
    """A commit's response was lost and whether it landed can no longer be told (a run of lease
    takeovers happened in between). Nothing is known to be lost; retrying with the same idempotency key
    answers the question (the recorded response, or a fresh run)."""

    code = "outcome_unknown"


class IdempotencyKeyReused(DurableObjectError):
    """An idempotency key already recorded for another request (other arguments) was sent again with
    this one; nothing ran. Use a new key for a new request."""

    code = "idempotency_key_reused"


class ReentrancyError(DurableObjectError):
    """A call chain came back into an object that the same chain already holds (it would deadlock)."""

    code = "reentrant_call"


class TurnTooLarge(DurableObjectError):
    """A turn's buffered writes do not fit in one DynamoDB transaction (100 items, 4 MB, 400 KB an item);
    refused before anything is sent, so nothing was stored."""

    code = "turn_too_large"


class ServiceUnavailable(DurableObjectError):
    """An AWS service a turn needed stayed throttled or unavailable past the SDK's retries; the turn
    stored nothing. Retrying shortly is safe (with the same idempotency key: exactly once)."""

    code = "unavailable"


TRANSIENT_AWS_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
"""Error codes of AWS failures that outlasted botocore's retries but will pass."""


def is_transient_aws_error(error: BaseException) -> bool:
    """A throttling, server-side or connection failure of an AWS call (worth a retry later)."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in TRANSIENT_AWS_ERRORS
    return isinstance(error, (ConnectionError, HTTPClientError))


class ObjectCallError(DurableObjectError):
    """A remote (Lambda) call to an object failed; ``error_type`` is the remote exception's class name."""

    code = "object_call_failed"

    def __init__(self, message: str, error_type: str = "ObjectCallError"):
        self.error_type = error_type
        super().__init__(message)
