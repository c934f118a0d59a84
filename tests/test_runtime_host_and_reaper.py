"""The object host (one call from an event) and the reaper (stream-driven cleanup)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from durable_agents.config import Settings
from durable_agents.runtime import (
    Env,
    LeaseLost,
    ObjectBusy,
    ObjectCallError,
    ReentrancyError,
    ServiceUnavailable,
    UnknownBinding,
)
from durable_agents.runtime.host import host_call
from durable_agents.runtime.reaper import reap
from durable_agents.runtime.storage import HOT_ENTRY_BYTES


def items_of(dynamodb: Any, pk: str) -> list[str]:
    response = dynamodb.query(
        TableName="state-test",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )
    return [item["sk"]["S"] for item in response["Items"]]


def test_host_runs_a_call_by_name_and_by_id(env: Env) -> None:
    assert (
        host_call({"namespace": "COUNTER", "name": "h", "method": "increment", "kwargs": {"by": 3}}, env) == 3
    )
    object_id = env.COUNTER.id_from_name("h")
    assert host_call({"namespace": "COUNTER", "id": object_id.hex, "method": "count"}, env) == 3


def test_host_honours_idempotency_key_and_call_chain(env: Env) -> None:
    event = {"namespace": "COUNTER", "name": "h2", "method": "increment", "idempotencyKey": "k1"}
    assert host_call(event, env) == host_call(event, env) == 1
    chained = {**event, "idempotencyKey": "k2", "callChain": [env.COUNTER.id_from_name("h2").key]}
    with pytest.raises(ReentrancyError):
        host_call(chained, env)


@pytest.mark.parametrize(
    "event, error",
    [
        ({"namespace": "COUNTER", "method": "increment"}, ValidationError),
        ({"namespace": "COUNTER", "name": "a", "id": "b", "method": "increment"}, ValidationError),
        ({"namespace": "NOPE", "name": "a", "method": "increment"}, UnknownBinding),
        ({"namespace": "COUNTER", "name": "a", "method": "increment", "extra": 1}, ValidationError),
    ],
)
def test_host_rejects_bad_events(env: Env, event: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        host_call(event, env)


def test_host_raises_object_busy_by_class_name(env: Env) -> None:
    object_id = env.COUNTER.id_from_name("busy")
    env.table.acquire(object_id.key, owner="x", until=2**62, now=0, expires_at=2**31)
    quick = Env(
        env.settings.model_copy(update={"busy_wait_seconds": 0.05}),
        {"COUNTER": env.COUNTER.class_path},
        dynamodb=env.table.client,
    )
    with pytest.raises(ObjectBusy) as caught:
        host_call({"namespace": "COUNTER", "name": "busy", "method": "increment"}, quick)
    assert type(caught.value).__name__ == "ObjectBusy"  # what Lambda reports as errorType


def test_reaper_purges_old_generation_after_delete_all(env: Env, dynamodb: Any) -> None:
    stub = env.SCRATCH.get_by_name("wiped")
    stub.run(
        [["put", "big", "x" * (HOT_ENTRY_BYTES * 2)], ["append", "a" * HOT_ENTRY_BYTES], ["append", "b"]]
    )
    stub.run([["delete_all"], ["append", "kept"]])
    pk = stub.id.key
    before = items_of(dynamodb, pk)
    marker = next(sk for sk in before if sk.startswith("PURGE#"))
    report = reap(
        [
            {
                "eventName": "INSERT",
                "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": marker}}, "SequenceNumber": "1"},
            }
        ],
        env.table,
    )
    after = items_of(dynamodb, pk)
    assert report.deleted == 3 and not report.failed  # the old history page, the value, the marker
    assert after == ["STATE"]  # the new generation's entry waits in the STATE item's tail
    assert stub.run([["history"]]) == [[[1, "kept"]]]


def test_reaper_purges_expired_object_but_not_a_newer_incarnation(env: Env, dynamodb: Any) -> None:
    stub = env.SCRATCH.get_by_name("expired")
    stub.run([["append", "old-1" * 50], ["append", "old-2"]])  # a long entry: the two go to a page
    stub.run([["put", "value", "v" * HOT_ENTRY_BYTES]])
    pk = stub.id.key
    state = dynamodb.get_item(TableName="state-test", Key={"pk": {"S": pk}, "sk": {"S": "STATE"}})["Item"]
    dynamodb.delete_item(TableName="state-test", Key={"pk": {"S": pk}, "sk": {"S": "STATE"}})  # TTL expiry
    stub.run([["append", "new-life"]])  # the object is used again before the reaper runs
    record = {
        "eventName": "REMOVE",
        "dynamodb": {
            "Keys": {"pk": {"S": pk}, "sk": {"S": "STATE"}},
            "OldImage": state,
            "SequenceNumber": "7",
        },
    }
    report = reap([record], env.table)
    assert report.deleted == 2
    assert stub.run([["history"]]) == [[[1, "new-life"]]]


def test_reaper_reports_failed_records_for_retry(env: Env) -> None:
    broken = {
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"pk": {"S": "COUNTER#x"}, "sk": {"S": "PURGE#notanumber"}},
            "SequenceNumber": "42",
        },
    }
    report = reap([broken], env.table)
    assert report.batch_response() == {"batchItemFailures": [{"itemIdentifier": "42"}]}


def test_host_call_chain_may_name_objects_by_name(env: Env) -> None:
    """The state machine passes ``NS#name`` of the conversation it works for: a task that calls back into
    it is refused as re-entrant instead of waiting for a lock its own caller holds."""
    event = {"namespace": "COUNTER", "name": "named", "method": "increment", "callChain": ["COUNTER#named"]}
    with pytest.raises(ReentrancyError):
        host_call(event, env)
    assert host_call({**event, "callChain": ["COUNTER#other"]}, env) == 1


class _FakeLambda:
    """A Lambda client whose object host always fails with one error type."""

    def __init__(self, error_type: str):
        self.error_type = error_type

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
        import io
        import json

        body = {"errorType": self.error_type, "errorMessage": f"remote {self.error_type}"}
        return {"FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(body).encode())}


@pytest.mark.parametrize(
    "error_type, expected",
    [
        ("ObjectBusy", ObjectBusy),
        ("LeaseLost", LeaseLost),
        ("ReentrancyError", ReentrancyError),
        ("ServiceUnavailable", ServiceUnavailable),
        ("ValueError", ObjectCallError),
        ("ObjectCallError", ObjectCallError),
    ],
)
def test_remote_errors_keep_their_type_across_hops(dynamodb: Any, error_type: str, expected: type) -> None:
    settings = Settings(state_table="state-test", object_host_function="object-host")
    remote = Env(
        settings,
        {"COUNTER": "tests.support.objects:Counter"},
        dynamodb=dynamodb,
        lambda_client=_FakeLambda(error_type),
    )
    with pytest.raises(expected) as caught:
        remote.COUNTER.get_by_name("far").increment()
    assert type(caught.value).__name__ == (
        error_type if expected is not ObjectCallError else "ObjectCallError"
    )
    if isinstance(caught.value, ObjectCallError):
        assert caught.value.error_type == error_type


def test_host_reports_aws_failures_past_retries_as_service_unavailable(env: Env, monkeypatch: Any) -> None:
    from botocore.exceptions import ClientError

    def throttled(*args: Any, **kwargs: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "UpdateItem",
        )

    monkeypatch.setattr(env.table, "acquire", throttled)
    with pytest.raises(ServiceUnavailable):
        host_call({"namespace": "COUNTER", "name": "t", "method": "increment"}, env)
    monkeypatch.setattr(env.table, "acquire", lambda *a, **k: (_ for _ in ()).throw(KeyError("a bug")))
    with pytest.raises(KeyError):  # anything else keeps its own type
        host_call({"namespace": "COUNTER", "name": "t", "method": "increment"}, env)


def test_the_api_answers_service_unavailable_with_503_and_retry_after() -> None:
    from durable_agents.api.errors import map_exception

    response = map_exception(ServiceUnavailable("DynamoDB throttled past retries"))
    assert response is not None and response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "throttled" not in str(response.body)  # AWS's own words are not echoed


@pytest.mark.parametrize(
    "error_type, status, code",
    [
        ("Forbidden", 403, "forbidden"),
        ("MethodNotAllowed", 405, "method_not_allowed"),
        ("UnsupportedMessageType", 400, "unsupported_message_type"),
        ("ValidationError", 400, "invalid_request"),
        ("KeyError", 502, "object_call_failed"),
    ],
)
def test_the_api_answers_remote_errors_by_their_type(error_type: str, status: int, code: str) -> None:
    import json

    from durable_agents.api.errors import map_exception

    response = map_exception(ObjectCallError(f"remote {error_type}: /var/task/secret.py", error_type))
    assert response is not None and response.status_code == status
    assert json.loads(str(response.body))["error"]["code"] == code
    if status == 502:
        assert "secret.py" not in str(response.body)  # an unexpected failure's internals are not echoed
