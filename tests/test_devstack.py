"""The local stack (devstack/): template views, in-process Lambda, moto wiring, the gateway, serve,
and the sample events. Uses fixture handlers only (tests/fixtures/handlers), never the real ones.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import yaml

from devstack.gateway import MAX_BODY_BYTES, ApiGateway
from devstack.lambda_runtime import LocalFunction, handler_from_file, load_module
from devstack.moto_stack import LocalStack, start_local_stack
from devstack.template import (
    TEMPLATE_PATH,
    LocalValues,
    SamTemplate,
    TemplateError,
    _construct_short_tag,
    load_template,
    resolve,
)
from tests.support.stack import serve

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = Path(__file__).parent / "fixtures" / "handlers"
EVENTS = ROOT / "events"
TEMPLATE = SamTemplate.load()


# --- template views -------------------------------------------------------------------------------


def test_short_tags_load_in_their_long_form(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  A:\n"
        "    Type: X\n"
        "    Properties:\n"
        "      Ref: !Ref B\n"
        "      Att: !GetAtt B.Arn\n"
        "      Sub: !Sub '${AWS::Region}-x'\n"
        "      If: !If [Cond, !Select [0, [a, b]], !Ref AWS::NoValue]\n"
        "      Map: !Sub ['${x}', {x: !Ref C}]\n"
    )
    properties = load_template(path)["Resources"]["A"]["Properties"]
    assert properties == {
        "Ref": {"Ref": "B"},
        "Att": {"Fn::GetAtt": ["B", "Arn"]},
        "Sub": {"Fn::Sub": "${AWS::Region}-x"},
        "If": {"Fn::If": ["Cond", {"Fn::Select": [0, ["a", "b"]]}, {"Ref": "AWS::NoValue"}]},
        "Map": {"Fn::Sub": ["${x}", {"x": {"Ref": "C"}}]},
    }


def test_the_template_is_parsed_once_with_libyaml_and_each_caller_gets_its_own_copy(tmp_path: Path) -> None:
    from devstack import template

    assert issubclass(template._CloudFormationLoader, yaml.CSafeLoader)  # libyaml is installed with PyYAML
    with TEMPLATE_PATH.open(encoding="utf-8") as stream:  # what the pure-Python loader makes of it
        assert load_template() == yaml.load(stream, Loader=_PurePythonCloudFormationLoader)
    template._parsed.cache_clear()
    first = load_template()
    first["Resources"].clear()  # a caller changing its copy changes no one else's
    assert load_template()["Resources"] and template._parsed.cache_info().misses == 1
    path = tmp_path / "template.yaml"
    path.write_text("Resources: {A: {Type: X}}\n")
    assert load_template(path)["Resources"] == {"A": {"Type": "X"}}
    path.write_text("Resources: {B: {Type: Y}}\n")  # other text: parsed again
    assert load_template(path)["Resources"] == {"B": {"Type": "Y"}}


class _PurePythonCloudFormationLoader(yaml.SafeLoader):
    """The template's short tags on PyYAML's pure-Python loader: what the libyaml one must agree with."""


_PurePythonCloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def test_intrinsics_resolve_against_local_values() -> None:
    values = LocalValues(
        stack_name="s",
        region="eu-west-1",
        account_id="1",
        parameters={"Mode": "on", "Name": "n"},
        conditions={
            "IsOn": {"Fn::Equals": [{"Ref": "Mode"}, "on"]},
            "IsOff": {"Fn::Not": [{"Condition": "IsOn"}]},
        },
        refs={"Table": "t"},
        attributes={"Table.Arn": "arn:t"},
    )
    document = {
        "sub": {"Fn::Sub": "${AWS::StackName}/${Name}/${Table}/${Table.Arn}/${!Literal}"},
        "vars": {"Fn::Sub": ["${a}-${Name}", {"a": {"Ref": "AWS::Region"}}]},
        "join": {"Fn::Join": [",", ["a", {"Ref": "Name"}]]},
        "pick": {"Fn::Select": [1, {"Fn::Split": ["/", "x/y/z"]}]},
        "when": {"Fn::If": ["IsOn", "yes", "no"]},
        "gone": {"Fn::If": ["IsOff", "x", {"Ref": "AWS::NoValue"}]},
        "list": ["a", {"Fn::If": ["IsOff", "b", {"Ref": "AWS::NoValue"}]}],
        "either": {"Fn::Or": [{"Condition": "IsOff"}, {"Fn::And": [True, {"Condition": "IsOn"}]}]},
    }
    assert resolve(document, values) == {
        "sub": "s/n/t/arn:t/${Literal}",
        "vars": "eu-west-1-n",
        "join": "a,n",
        "pick": "y",
        "when": "yes",
        "list": ["a"],
        "either": True,
    }
    with pytest.raises(TemplateError):
        resolve({"Ref": "Unknown"}, values)
    with pytest.raises(TemplateError):
        resolve({"Fn::ImportValue": "x"}, values)


def test_function_views_resolve_handler_files_and_settings() -> None:
    api = TEMPLATE.functions["ApiFunction"]
    assert api.handler_file == ROOT / "functions" / "api" / "app.py"
    assert api.handler_function == "handler"
    assert api.timeout == 29 and api.memory_size == 1024
    object_host = TEMPLATE.functions["ObjectHostFunction"]
    assert object_host.handler_file == ROOT / "functions" / "object_host" / "app.py"
    assert api.environment["STATE_TABLE"] == {"Ref": "StateTable"}  # merged from Globals


def test_local_values_name_resources_like_the_template() -> None:
    values = TEMPLATE.local_values(stack_name="dev-x", parameters={"Stage": "qa"})
    assert values.refs["ObjectHostFunction"] == "dev-x-object-host"
    assert values.refs["StateTable"] == "dev-x-StateTable"
    assert values.refs["CoordinationStateMachine"].endswith(":stateMachine:dev-x-coordinate")
    assert TEMPLATE.api_stage("Api", values) == "qa"
    with pytest.raises(TemplateError):
        TEMPLATE.local_values(parameters={"NoSuchParameter": "1"})


def test_table_view_gives_create_table_arguments() -> None:
    table = TEMPLATE.tables["StateTable"]
    assert table.ttl_attribute == "expires_at"
    kwargs = table.create_table_kwargs("t")
    assert kwargs["TableName"] == "t"
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"
    assert kwargs["StreamSpecification"]["StreamEnabled"] is True


# --- in-process Lambda ----------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_handlers_named_app_load_without_clashing(tmp_path: Path) -> None:
    first = write(tmp_path / "one" / "app.py", "from helper import NAME\ndef handler(e, c): return NAME\n")
    write(tmp_path / "one" / "helper.py", "NAME = 'one'\n")
    second = write(tmp_path / "two" / "app.py", "def handler(e, c): return 'two'\n")

    one, two = handler_from_file(first), handler_from_file(second)

    assert (one({}, None), two({}, None)) == ("one", "two")  # type: ignore[arg-type]  # no context needed
    assert str(tmp_path / "one") not in sys.path


def local_function(handler: Any, timeout: int = 3) -> LocalFunction:
    spec = TEMPLATE.functions["ObjectHostFunction"]
    spec = type(spec)(**{**spec.__dict__, "timeout": timeout})
    return LocalFunction(
        spec, function_name="fn", region="us-east-1", account_id="123456789012", handler=handler
    )


def test_each_call_gets_a_fresh_lambda_context() -> None:
    seen: list[Any] = []

    def handler(event: Any, context: Any) -> Any:
        seen.append(context)
        return event

    function = local_function(handler, timeout=3)

    function.invoke({"a": 1})
    function.invoke({"a": 2})

    first, second = seen
    assert first.aws_request_id != second.aws_request_id
    assert first.function_name == "fn"
    assert first.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert first.memory_limit_in_mb == 1024
    assert 2500 < second.get_remaining_time_in_millis() <= 3000
    assert first.log_group_name == "/aws/lambda/fn"


def test_invoke_payload_mimics_lambda_errors() -> None:
    class ObjectBusy(Exception):
        pass

    def busy(event: Any, context: Any) -> Any:
        raise ObjectBusy("held by someone else")

    failed = local_function(busy).invoke_payload(b'{"x": 1}')
    assert failed.function_error == "Unhandled"
    error = failed.json()
    assert (error["errorType"], error["errorMessage"]) == ("ObjectBusy", "held by someone else")
    assert error["requestId"] and isinstance(error["stackTrace"], list)

    unserialisable = local_function(lambda event, context: {"when": object()}).invoke_payload("{}")
    assert unserialisable.json()["errorType"] == "Runtime.MarshalError"

    answered = local_function(lambda event, context: {"got": event}).invoke_payload('{"x": 1}')
    assert (answered.failed, answered.json()) == (False, {"got": {"x": 1}})


# --- the moto-backed stack ------------------------------------------------------------------------


@pytest.fixture
def mock_stack() -> Iterator[LocalStack]:
    object_host = load_module(HANDLERS / "object_host.py")
    with start_local_stack(server=False, handlers={"ObjectHostFunction": object_host.handler}) as stack:
        yield stack


def test_the_template_resources_are_created(mock_stack: LocalStack) -> None:
    table_name = mock_stack.physical_id("StateTable")
    dynamodb = mock_stack.client("dynamodb")
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    assert [key["AttributeName"] for key in table["KeySchema"]] == ["pk", "sk"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}
    ttl = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}

    listed = mock_stack.client("lambda").list_functions()["Functions"]
    functions = {item["FunctionName"]: item for item in listed}
    assert set(functions) == {
        f"durable-agents-local-{name}"
        for name in ("api", "object-host", "reaper", "alarm-sweeper", "live", "live-authorizer")
    }
    environment = functions["durable-agents-local-api"]["Environment"]["Variables"]
    assert environment["STATE_TABLE"] == table_name

    machine = mock_stack.client("stepfunctions").describe_state_machine(
        stateMachineArn=mock_stack.physical_id("CoordinationStateMachine")
    )
    object_host_arn = mock_stack.functions["ObjectHostFunction"].arn
    assert object_host_arn in machine["definition"] and "${" not in machine["definition"]


def test_environ_is_the_template_environment_for_local_runs(mock_stack: LocalStack) -> None:
    environ = mock_stack.environ
    assert environ["STATE_TABLE"] == mock_stack.physical_id("StateTable")
    assert environ["OBJECT_HOST_FUNCTION"] == mock_stack.functions["ObjectHostFunction"].function_name
    assert environ["COORDINATION_STATE_MACHINE_ARN"] == mock_stack.physical_id("CoordinationStateMachine")
    assert environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_ENDPOINT_URL" not in environ  # mock mode intercepts calls in-process


def test_invoking_a_template_function_runs_its_handler_in_process(mock_stack: LocalStack) -> None:
    lambda_client = mock_stack.client("lambda")
    name = mock_stack.functions["ObjectHostFunction"].function_name
    event = {"namespace": "TRAVEL_AGENT", "name": "travel:s1", "method": "answer", "args": [1]}

    answered = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event))
    assert "FunctionError" not in answered
    assert json.loads(answered["Payload"].read())["answered"] == "TRAVEL_AGENT#travel:s1"

    failed = lambda_client.invoke(FunctionName=name, Payload=json.dumps({**event, "method": "explode"}))
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "ObjectCallError"


def test_the_server_stack_serves_handlers_that_call_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def object_host(event: dict[str, Any], context: Any) -> Any:
        dynamodb = boto3.client("dynamodb")  # reaches moto through AWS_ENDPOINT_URL
        item = {"pk": {"S": f"{event['namespace']}#{event['name']}"}, "sk": {"S": "STATE"}}
        dynamodb.put_item(TableName=os.environ["STATE_TABLE"], Item=item)
        return {"stored": item["pk"]["S"]}

    moto_port_before = os.environ.get("MOTO_PORT")
    with start_local_stack(server=True, handlers={"ObjectHostFunction": object_host}) as stack:
        assert stack.endpoint_url and stack.endpoint_url.startswith("http://127.0.0.1:")
        for name, value in stack.environ.items():
            monkeypatch.setenv(name, value)
        execution = stack.client("stepfunctions").start_execution(
            stateMachineArn=stack.physical_id("CoordinationStateMachine"),
            input=json.dumps(
                {
                    "coordinationId": "c1",
                    "conversation": {"namespace": "CONVERSATION_MANAGER", "name": "conversation:abc"},
                    "tasks": [
                        {
                            "namespace": "TRAVEL_AGENT",
                            "name": "travel:s1",
                            "method": "m",
                            "args": [],
                            "kwargs": {},
                        }
                    ],
                }
            ),
        )
        description = stack.wait_for_execution(execution["executionArn"])
        assert description["status"] == "SUCCEEDED"
        assert json.loads(description["output"]) == {"stored": "CONVERSATION_MANAGER#conversation:abc"}
        items = stack.client("dynamodb").scan(TableName=stack.physical_id("StateTable"))["Items"]
        assert sorted(item["pk"]["S"] for item in items) == [
            "CONVERSATION_MANAGER#conversation:abc",
            "TRAVEL_AGENT#travel:s1",
        ]
    assert os.environ.get("MOTO_PORT") == moto_port_before


# --- the gateway ----------------------------------------------------------------------------------


@pytest.fixture
def gateway() -> Iterator[ApiGateway]:
    values = TEMPLATE.local_values()
    functions = {
        "ApiFunction": LocalFunction(
            TEMPLATE.functions["ApiFunction"],
            function_name=values.refs["ApiFunction"],
            region=values.region,
            account_id=values.account_id,
            handler=handler_from_file(HANDLERS / "echo_api.py"),
        )
    }
    with ApiGateway(TEMPLATE.routes, functions, stage="dev", account_id=values.account_id) as gateway:
        yield gateway


def connect(gateway: ApiGateway) -> http.client.HTTPConnection:
    url = urlsplit(gateway.url)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)


def send(
    gateway: ApiGateway,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Sequence[tuple[str, str]] = (),
    connection: http.client.HTTPConnection | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = connection or connect(gateway)
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    return response.status, response.headers, response.read()


def echoed(body: bytes) -> dict[str, Any]:
    return json.loads(body)["event"]


def test_a_request_becomes_an_api_gateway_proxy_event(gateway: ApiGateway) -> None:
    message = {"id": "m1", "type": "chat", "content": "Plan a trip to Paris"}
    status, headers, body = send(
        gateway,
        "POST",
        "/agents/TRAVEL_AGENT/travel%3As1/message?debug=1&tag=a&tag=b",
        json.dumps(message).encode(),
        [("Content-Type", "application/json"), ("X-Multi", "1"), ("X-Multi", "2")],
    )

    assert status == 201
    assert headers["X-Echo"] == "1"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert json.loads(body)["function"] == "durable-agents-local-api"
    event = echoed(body)
    assert event["resource"] == "/agents/{namespace}/{name}/message"
    assert event["path"] == "/agents/TRAVEL_AGENT/travel:s1/message"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"namespace": "TRAVEL_AGENT", "name": "travel:s1"}
    assert event["queryStringParameters"] == {"debug": "1", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"debug": ["1"], "tag": ["a", "b"]}
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert json.loads(event["body"]) == message
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "dev"
    assert context["resourcePath"] == "/agents/{namespace}/{name}/message"
    assert context["path"] == "/dev/agents/TRAVEL_AGENT/travel:s1/message"
    assert context["requestId"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userArn"].startswith("arn:aws:iam::")  # AWS_IAM route: a local caller


def test_public_routes_have_no_caller_and_no_optional_parts(gateway: ApiGateway) -> None:
    status, _, body = send(gateway, "GET", "/health")

    assert status == 201
    event = echoed(body)
    identity = event["requestContext"]["identity"]
    assert (identity["caller"], identity["userArn"], identity["accessKey"]) == (None, None, None)
    assert (event["pathParameters"], event["queryStringParameters"], event["body"]) == (None, None, None)


def test_binary_bodies_are_base64_both_ways(gateway: ApiGateway) -> None:
    binary = [("Content-Type", "application/octet-stream")]
    status, _, body = send(gateway, "POST", "/chat", b"\xff\x00\xfe", binary)
    event = echoed(body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00\xfe"

    status, headers, body = send(gateway, "GET", "/health", headers=[("X-Echo-Binary", "1")])
    assert (status, headers["Content-Type"], body) == (200, "application/octet-stream", b"\x00\x01\xfe\xff")


def error_of(response: tuple[int, http.client.HTTPMessage, bytes]) -> tuple[int, str]:
    status, headers, body = response
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message"}
    return status, error["code"]


def test_unknown_paths_are_404_json(gateway: ApiGateway) -> None:
    assert error_of(send(gateway, "GET", "/nope")) == (404, "not_found")
    assert error_of(send(gateway, "GET", "/agents/TRAVEL_AGENT/message")) == (404, "not_found")


def test_a_known_path_with_another_method_is_405_json(gateway: ApiGateway) -> None:
    response = send(gateway, "DELETE", "/agents/TRAVEL_AGENT/travel:s1/state")
    assert error_of(response) == (405, "method_not_allowed")
    assert response[1]["Allow"] == "GET"


def test_a_body_over_10_mb_is_413_json(gateway: ApiGateway) -> None:
    assert MAX_BODY_BYTES == 10 * 1024 * 1024
    assert error_of(send(gateway, "POST", "/chat", b"x" * (MAX_BODY_BYTES + 1))) == (413, "payload_too_large")
    status, _, body = send(gateway, "POST", "/chat", b"x" * 1000)
    assert status == 201 and len(echoed(body)["body"]) == 1000


def test_chunked_bodies_are_read_and_limited(gateway: ApiGateway) -> None:
    def chunked(total: int) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = connect(gateway)
        connection.request(
            "POST",
            "/chat",
            body=io.BytesIO(b"y" * total),
            encode_chunked=True,
            headers={"Transfer-Encoding": "chunked"},
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read()

    status, _, body = chunked(20_000)
    assert status == 201 and echoed(body)["body"] == "y" * 20_000
    assert error_of(chunked(MAX_BODY_BYTES + 10)) == (413, "payload_too_large")


def test_handler_failures_are_502_json(gateway: ApiGateway) -> None:
    for failure in ("X-Echo-Raise", "X-Echo-Malformed"):
        assert error_of(send(gateway, "GET", "/health", headers=[(failure, "1")])) == (502, "internal_error")


def test_connections_are_kept_alive(gateway: ApiGateway) -> None:
    connection = connect(gateway)
    first = send(gateway, "GET", "/health", connection=connection)
    second = send(gateway, "GET", "/nope", connection=connection)
    assert (first[0], second[0]) == (201, 404)


def test_stop_lets_in_flight_requests_finish(gateway: ApiGateway) -> None:
    results: list[int] = []
    request = threading.Thread(
        target=lambda: results.append(send(gateway, "GET", "/health", headers=[("X-Echo-Sleep", "0.3")])[0])
    )
    started = gateway.functions["ApiFunction"].handler.__globals__["STARTED"]  # the echo handler's event
    started.clear()
    request.start()
    assert started.wait(10)  # the request is in the handler
    gateway.stop()
    request.join()
    assert results == [201]


# --- serve ----------------------------------------------------------------------------------------


def test_serve_prints_ready_and_data_lines_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    data = tmp_path / "data"
    served = serve(data)
    try:
        assert served.data_line == (
            f"data in {data}/ (0 items restored; RESET=1 make run or make reset to start empty)\n"
        )
        trust = served.stdout.next(10)  # the banner says whose word it takes for the caller
        assert "trusts userId / X-User-Id" in trust and "TRUST_CLIENT_IDENTITY=true" in trust
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        connection.request("GET", "/no-such-route")
        response = connection.getresponse()
        assert response.status == 404
        assert json.loads(response.read())["error"]["code"] == "not_found"
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(timeout=30) == 0
        assert served.stdout.rest() == ""
    finally:
        served.close()


# --- sample events --------------------------------------------------------------------------------


def test_there_is_a_sample_event_for_every_api_route() -> None:
    gateway_routes = {(route.method, route.path) for route in TEMPLATE.routes}
    samples = {path.name: json.loads(path.read_text()) for path in EVENTS.glob("api_*.json")}
    assert {(event["httpMethod"], event["resource"]) for event in samples.values()} == gateway_routes
    for name, event in samples.items():
        assert event["requestContext"]["resourcePath"] == event["resource"], name
        if event["resource"].startswith("/agents/"):
            assert event["pathParameters"] == {"namespace": "TRAVEL_AGENT", "name": "travel:s1"}, name
        elif event["resource"].startswith("/sessions/"):
            assert event["pathParameters"] == {"session_id": "s1"}, name
    assert json.loads(samples["api_chat.json"]["body"]) == {
        "message": "Plan a trip to Paris",
        "sessionId": "s1",
    }
    # the user-facing routes' samples carry what the Cognito authorizer adds: the caller is its "sub"
    for name in (
        "api_chat.json",
        "api_sessions_list.json",
        "api_session_get.json",
        "api_session_delete.json",
    ):
        assert samples[name]["requestContext"]["authorizer"]["claims"]["sub"], name
    assert json.loads(samples["api_agent_message.json"]["body"]) == {
        "id": "m1",
        "type": "chat",
        "content": "Plan a trip to Paris",
        "context": {"sessionId": "s1", "userId": "u1"},
    }


def test_the_object_host_sample_follows_the_payload_contract() -> None:
    event = json.loads((EVENTS / "object_host_message.json").read_text())
    assert set(event) == {"namespace", "name", "method", "args", "kwargs", "idempotencyKey", "callChain"}
    assert event["namespace"] == "TRAVEL_AGENT"
    assert (event["name"], event["method"]) == ("travel:s1", "handle_message")


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering, for the pattern features the template uses (values, prefix)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and matches(sub, value[key]) for key, sub in pattern.items()
        )
    return any(
        value.startswith(option["prefix"]) if isinstance(option, dict) else value == option
        for option in pattern
    )


def reaper_filters() -> list[Any]:
    properties = TEMPLATE.resources["ReaperFunction"]["Properties"]["Events"]["StateStream"]["Properties"]
    return [json.loads(item["Pattern"]) for item in properties["FilterCriteria"]["Filters"]]


def passes_filters(record: dict[str, Any]) -> bool:
    return any(matches(pattern, record) for pattern in reaper_filters())


@pytest.mark.parametrize("sample", ["reaper_ttl_remove.json", "reaper_purge_insert.json"])
def test_the_reaper_samples_pass_its_stream_filter(sample: str) -> None:
    (record,) = json.loads((EVENTS / sample).read_text())["Records"]
    assert passes_filters(record)


def test_the_stream_filter_drops_other_changes() -> None:
    (ttl_remove,) = json.loads((EVENTS / "reaper_ttl_remove.json").read_text())["Records"]
    (purge,) = json.loads((EVENTS / "reaper_purge_insert.json").read_text())["Records"]
    history = {
        **ttl_remove,
        "dynamodb": {
            **ttl_remove["dynamodb"],
            "Keys": {"pk": {"S": "TRAVEL_AGENT#travel:s1"}, "sk": {"S": "MSG#000001"}},
        },
    }
    deleted_by_caller = {key: value for key, value in ttl_remove.items() if key != "userIdentity"}
    state_insert = {**ttl_remove, "eventName": "INSERT"}
    purge_removed = {**purge, "eventName": "REMOVE"}
    for record in (history, deleted_by_caller, state_insert, purge_removed):
        assert not passes_filters(record)
