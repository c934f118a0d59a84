"""The local stack's patches: each restores a behaviour of AWS that moto or Powertools lacks in-process."""

from __future__ import annotations

import json
import threading
from typing import Any

from devstack.local_patches import between_dynamodb_requests, dynamodb_write_count, patch_local_stack


def test_the_api_event_being_resolved_is_per_thread() -> None:
    """Lambda serves one request per environment; the local stack serves many in one process."""
    patch_local_stack()
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    app = APIGatewayRestResolver()
    BaseRouter.current_event = "request A"  # type: ignore[assignment]  # how Powertools sets it (a stand-in)
    seen: list[Any] = []

    def other_request() -> None:
        seen.append(app.current_event)
        BaseRouter.current_event = "request B"  # type: ignore[assignment]
        seen.append(app.current_event)

    thread = threading.Thread(target=other_request)
    thread.start()
    thread.join()
    assert seen == [None, "request B"]
    assert app.current_event == "request A" and BaseRouter.current_event == "request A"


def test_a_conditional_write_is_atomic_under_threads(dynamodb: Any) -> None:
    """16 threads race to create one item with attribute_not_exists: exactly one may win."""
    wins: list[int] = []

    def claim(n: int) -> None:
        try:
            dynamodb.put_item(
                TableName="state-test",
                Item={"pk": {"S": "race"}, "sk": {"S": "STATE"}, "who": {"N": str(n)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            wins.append(n)
        except dynamodb.exceptions.ConditionalCheckFailedException:
            pass

    for _ in range(5):
        dynamodb.delete_item(TableName="state-test", Key={"pk": {"S": "race"}, "sk": {"S": "STATE"}})
        wins.clear()
        threads = [threading.Thread(target=claim, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1


def test_a_cancelled_transaction_rolls_back_only_what_it_touched(dynamodb: Any) -> None:
    def put(sk: str) -> dict[str, Any]:
        return {"Put": {"TableName": "state-test", "Item": {"pk": {"S": "t"}, "sk": {"S": sk}}}}

    dynamodb.put_item(TableName="state-test", Item={"pk": {"S": "other"}, "sk": {"S": "x"}, "v": {"N": "1"}})
    failing = {
        "ConditionCheck": {
            "TableName": "state-test",
            "Key": {"pk": {"S": "t"}, "sk": {"S": "gate"}},
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    try:
        dynamodb.transact_write_items(TransactItems=[put("a"), put("b"), failing])
    except dynamodb.exceptions.TransactionCanceledException:
        pass
    else:
        raise AssertionError("the transaction should have been cancelled")
    keys = sorted((i["pk"]["S"], i["sk"]["S"]) for i in dynamodb.scan(TableName="state-test")["Items"])
    assert keys == [("other", "x")]
    dynamodb.transact_write_items(TransactItems=[put("a"), put("b")])
    assert len(dynamodb.scan(TableName="state-test")["Items"]) == 3


def test_a_state_machine_runs_more_than_one_execution() -> None:
    """On moto's server, a second execution of a machine whose first one invoked a Lambda used to fail."""
    from devstack.moto_stack import start_local_stack

    def object_host(event: dict[str, Any], context: Any) -> Any:
        return {"ok": True}

    with start_local_stack(server=True, handlers={"ObjectHostFunction": object_host}) as stack:
        sfn = stack.client("stepfunctions")
        task = {"namespace": "TRAVEL_AGENT", "name": "travel:s1", "method": "m", "args": [], "kwargs": {}}
        for run in ("c1", "c2"):
            execution = sfn.start_execution(
                stateMachineArn=stack.physical_id("CoordinationStateMachine"),
                name=run,
                input=json.dumps(
                    {
                        "coordinationId": run,
                        "tasks": [task],
                        "conversation": {"namespace": "CONVERSATION_MANAGER", "name": "conversation:x"},
                    }
                ),
            )
            assert stack.wait_for_execution(execution["executionArn"])["status"] == "SUCCEEDED"


def test_requests_that_may_write_are_counted_and_reads_are_not(dynamodb: Any) -> None:
    key = {"pk": {"S": "count"}, "sk": {"S": "STATE"}}
    before = dynamodb_write_count()
    dynamodb.put_item(TableName="state-test", Item=key)
    dynamodb.get_item(TableName="state-test", Key=key)
    dynamodb.query(
        TableName="state-test", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": key["pk"]}
    )
    dynamodb.scan(TableName="state-test")
    assert dynamodb_write_count() == before + 1
    try:  # a write refused by its condition counts too: telling it from a change is up to the reader
        dynamodb.put_item(TableName="state-test", Item=key, ConditionExpression="attribute_not_exists(pk)")
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass
    dynamodb.update_item(
        TableName="state-test",
        Key=key,
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    assert dynamodb_write_count() == before + 3


def test_between_dynamodb_requests_no_request_runs(dynamodb: Any) -> None:
    key = {"pk": {"S": "held"}, "sk": {"S": "STATE"}}
    written = threading.Event()

    def write() -> None:
        dynamodb.put_item(TableName="state-test", Item=key)
        written.set()

    with between_dynamodb_requests() as writes:
        writer = threading.Thread(target=write)
        writer.start()
        assert not written.wait(0.3)  # held back, however long it waits
        assert dynamodb_write_count() == writes
    writer.join(10)
    assert written.is_set() and dynamodb_write_count() == writes + 1
    assert "Item" in dynamodb.get_item(TableName="state-test", Key=key)
