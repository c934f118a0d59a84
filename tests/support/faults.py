"""DynamoDB faults injected into one botocore client through its event hooks (no patching of the runtime).

:class:`FaultInjector` registers a ``before-send`` hook *first* on the client's event emitter, so it runs
before moto's own in-process stub (``mock_aws``) and before the real HTTP send (``ThreadedMotoServer``).
Per request it can answer instead of the service, or let the request through and then lose the answer:

``throttle``
    HTTP 400 ``ProvisionedThroughputExceededException``; nothing applied (botocore retries it as throttling).
``internal_error``
    HTTP 500 ``InternalServerError``; nothing applied (retried as a transient error).
``internal_error_applied``
    the request IS applied, then the client gets HTTP 500 (DynamoDB documents that a 500 may have
    applied the write): botocore re-sends the same request.
``read_timeout``
    the connection times out before anything reaches the service (``ReadTimeoutError``; retried).
``lost_response``
    the request IS applied, then the connection drops (``ReadTimeoutError`` after the send): botocore's
    standard retry re-sends the very same request, which then meets the state its first copy produced.
``cancel_conflict`` / ``cancel_throttling`` / ``cancel_condition``
    a ``TransactWriteItems`` is cancelled (``TransactionCanceledException``, not retried by botocore)
    with the reason ``TransactionConflict`` / ``ThrottlingError`` on its first item, or
    ``ConditionalCheckFailed`` on it (as if the lease had been taken over); nothing applied.

Faults are chosen by :class:`Rule` s: which operation, which phase of a turn (``acquire``, ``commit``,
``release``, ``extend``, ``read``, told apart by the request body), how often (``every`` n-th matching
request, or with ``probability`` from a seeded RNG) and how many times in all. Every decision is
counted, so tests can check that faults really happened.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

KINDS = ("throttle", "internal_error", "internal_error_applied", "read_timeout", "lost_response")
CANCEL_KINDS = {
    "cancel_conflict": "TransactionConflict",
    "cancel_throttling": "ThrottlingError",
    "cancel_condition": "ConditionalCheckFailed",
}
ALL_KINDS = KINDS + tuple(CANCEL_KINDS)
APPLIED_KINDS = frozenset({"internal_error_applied", "lost_response"})
PHASES = ("acquire", "commit", "release", "extend", "read", "other")

SWALLOWED_URL = "https://fault-injected.invalid/"
_ERROR_BODIES = {
    "throttle": (
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded (injected)",
    ),
    "internal_error": (
        500,
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "Internal server error (injected)",
    ),
}
_ERROR_BODIES["internal_error_applied"] = _ERROR_BODIES["internal_error"]


def phase_of(operation: str, body: bytes | str | None) -> str:
    """Which step of a turn a runtime request is (from the request the runtime's StateTable sends)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    if operation in ("TransactWriteItems", "PutItem"):
        return "commit"
    if operation in ("GetItem", "Query", "BatchGetItem"):
        return "read"
    if operation == "UpdateItem":
        if "ADD fence" in text:
            return "acquire"
        if "seq = :seq" in text:
            return "commit"
        if "SET ver = :ver" in text:
            return "release"
        if "SET lease_until = :until" in text:
            return "extend"
    return "other"


class _Raw:
    """The minimal raw-response object :class:`AWSResponse` reads its body from."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_: Any) -> Iterable[bytes]:
        yield self._body


@dataclass
class Rule:
    kind: str
    operations: frozenset[str] | None = None
    phases: frozenset[str] | None = None
    every: int | None = None
    probability: float | None = None
    times: int | None = None
    seen: int = 0
    fired: int = 0

    def wants(self, operation: str, phase: str, rng: random.Random) -> bool:
        if self.operations is not None and operation not in self.operations:
            return False
        if self.phases is not None and phase not in self.phases:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.seen += 1
        if self.every is not None:
            hit = self.seen % self.every == 0
        elif self.probability is not None:
            hit = rng.random() < self.probability
        else:
            hit = True
        if hit:
            self.fired += 1
        return hit


@dataclass
class FaultInjector:
    """Faults on one DynamoDB client. ``attach`` it, add rules, read the counters, ``detach`` it."""

    client: Any
    seed: int = 0
    rules: list[Rule] = field(default_factory=list)
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    """``(kind, phase)`` -> how many faults of that kind hit that phase."""
    requests: Counter[str] = field(default_factory=Counter)
    """operation -> requests (attempts, retries included) that went out, faulted or not."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)
        self._local = threading.local()
        self._attached = False

    # --- set up ---------------------------------------------------------------------------------------

    def attach(self) -> FaultInjector:
        if not self._attached:
            self.client.meta.events.register_first("before-send.dynamodb", self._before_send)
            self._attached = True
        return self

    def detach(self) -> None:
        if self._attached:
            self.client.meta.events.unregister("before-send.dynamodb", self._before_send)
            self._attached = False

    def __enter__(self) -> FaultInjector:
        return self.attach()

    def __exit__(self, *exc_info: object) -> None:
        self.detach()

    def add(
        self,
        kind: str,
        *,
        operations: Iterable[str] | None = None,
        phases: Iterable[str] | None = None,
        every: int | None = None,
        probability: float | None = None,
        times: int | None = None,
    ) -> Rule:
        """Inject ``kind`` into matching requests (all of them unless ``every``/``probability``/``times``)."""
        if kind not in ALL_KINDS:
            raise ValueError(f"unknown fault {kind!r}; faults: {', '.join(ALL_KINDS)}")
        if kind in CANCEL_KINDS and operations is None:
            operations = ["TransactWriteItems"]
        unknown = set(phases or ()) - set(PHASES)
        if unknown:
            raise ValueError(f"unknown phases {sorted(unknown)}")
        rule = Rule(
            kind,
            frozenset(operations) if operations is not None else None,
            frozenset(phases) if phases is not None else None,
            every,
            probability,
            times,
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def count(self, kind: str | None = None, phase: str | None = None) -> int:
        return sum(
            n
            for (k, p), n in self.injected.items()
            if (kind is None or k == kind) and (phase is None or p == phase)
        )

    # --- the hook -----------------------------------------------------------------------------------------

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if getattr(self._local, "sending", False):
            return None  # our own pass-through send (lost_response): let moto / the network answer
        operation = event_name.rsplit(".", 1)[-1]
        phase = phase_of(operation, request.body)
        with self._lock:
            self.requests[operation] += 1
            chosen = next((rule for rule in self.rules if rule.wants(operation, phase, self._rng)), None)
            if chosen is not None:
                self.injected[(chosen.kind, phase)] += 1
        if chosen is None:
            return None
        kind = chosen.kind
        if kind in CANCEL_KINDS:
            return self._cancel(request, CANCEL_KINDS[kind])
        if kind in APPLIED_KINDS:
            self._pass_through(request, event_name)
        if kind in ("read_timeout", "lost_response"):
            raise ReadTimeoutError(endpoint_url=request.url)
        status, error_type, message = _ERROR_BODIES[kind]
        body = json.dumps({"__type": error_type, "message": message}).encode()
        headers = {"x-amzn-RequestId": uuid.uuid4().hex, "Content-Type": "application/x-amz-json-1.0"}
        response = AWSResponse(request.url, status, headers, _Raw(body))
        # botocore still calls the other before-send handlers (moto's in-process stub among them, which
        # would apply the request) and then takes the first answer, ours. Point this attempt's request
        # (botocore builds a new one for each retry) where no stub will recognise it.
        request.url = SWALLOWED_URL
        return response

    def _cancel(self, request: Any, code: str) -> AWSResponse:
        """A ``TransactionCanceledException`` naming ``code`` for the first item (the others: ``None``)."""
        actions = json.loads(request.body or b"{}").get("TransactItems", [])
        reasons = [{"Code": code, "Message": f"{code} (injected)"}] + [{"Code": "None"} for _ in actions[1:]]
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "message": (
                    f"Transaction cancelled, please refer cancellation reasons for specific reasons [{code}]"
                ),
                "CancellationReasons": reasons,
            }
        ).encode()
        headers = {"x-amzn-RequestId": uuid.uuid4().hex, "Content-Type": "application/x-amz-json-1.0"}
        request.url = SWALLOWED_URL
        return AWSResponse(SWALLOWED_URL, 400, headers, _Raw(body))

    def _pass_through(self, request: Any, event_name: str) -> None:
        """Deliver ``request`` for real (the write happens) and drop the answer."""
        self._local.sending = True
        try:
            responses = self.client.meta.events.emit(event_name, request=request)
            answered = next((response for _, response in responses if response is not None), None)
            if answered is None:  # no in-process stub (mock_aws) answered: it goes over the wire
                answered = self.client._endpoint._send(request)
            answered.content  # noqa: B018 - read the body, as a client would before the connection drops
        finally:
            self._local.sending = False
            if hasattr(request, "reset_stream"):
                request.reset_stream()


def fast_throttle_backoff(monkeypatch: Any, scale: float = 0.01) -> None:
    """Compress botocore's throttling backoff (1 s base) to ``scale`` s: same retries, less waiting."""
    from botocore.retries.standard import ExponentialBackoff

    config = dict(ExponentialBackoff._DEFAULT_BACKOFF_CONFIG)
    config["throttling_base_scale"] = scale
    monkeypatch.setattr(ExponentialBackoff, "_DEFAULT_BACKOFF_CONFIG", config)
