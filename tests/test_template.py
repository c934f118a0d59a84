"""template.yaml and samconfig.toml: structure, the HTTP contract, and least-privilege IAM.

Policies are checked after evaluating their intrinsics (devstack.template) for concrete parameter
values, so conditional statements are checked both ways.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
from durable_agents.config import environment_variable_names

from devstack.template import LocalValues, SamTemplate, resolve

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = SamTemplate.load(ROOT / "template.yaml")
RESOURCES = TEMPLATE.resources

STACK = "da-test"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STACK}-StateTable"
STREAM_ARN = f"{TABLE_ARN}/stream/2026-01-01T00:00:00.000"
OBJECT_HOST_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-object-host"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}-coordinate"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-ReaperDeadLetterQueue"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{STACK}-reaper:*"

BINDINGS = {
    "BINDING_TRAVEL_AGENT": "durable_agents.agents.travel:TravelAgent",
    "BINDING_SCRAPING_AGENT": "durable_agents.agents.scraping:ScrapingAgent",
    "BINDING_CONVERSATION_MANAGER": "durable_agents.agents.conversation:ConversationManager",
    "BINDING_SESSION_MANAGER": "durable_agents.agents.session:SessionManager",
}
ENVIRONMENT = {
    "STATE_TABLE", "OBJECT_RETENTION_DAYS", "SESSION_IDLE_DAYS", "OBJECT_HOST_FUNCTION", "COORDINATION_STATE_MACHINE_ARN",
    "LEASE_SECONDS", "LEASE_MARGIN_SECONDS", "BUSY_WAIT_SECONDS", "LLM_PROVIDER", "BEDROCK_MODEL_ID",
    "TOOL_PROVIDER", "TOOL_TIMEOUT_SECONDS", "TOOL_SECRETS_PARAMETER", "SCRAPER_ALLOW_PRIVATE_NETWORKS",
    "TRUST_CLIENT_IDENTITY", "IDEMPOTENCY_HOURS", "COGNITO_DOMAIN", "COGNITO_CLIENT_ID",
    "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL", *BINDINGS,
}
DATA_ACTIONS = {
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
    "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
}


def values(**parameters: str) -> LocalValues:
    """Concrete values for a deployment of the template (plus attributes only AWS would know)."""
    local = TEMPLATE.local_values(stack_name=STACK, region=REGION, account_id=ACCOUNT, parameters=parameters)
    deployed = {
        "StateTable.StreamArn": STREAM_ARN,
        "ReaperDeadLetterQueue.Arn": QUEUE_ARN,
        "ReaperLogGroup.Arn": LOG_GROUP_ARN,
    }
    return dataclasses.replace(local, attributes={**local.attributes, **deployed})


def statements(policy_document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid, actions as sets, resources as lists."""
    result = {}
    for statement in policy_document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        result[statement["Sid"]] = {
            "Action": {actions} if isinstance(actions, str) else set(actions),
            "Resource": [resources] if isinstance(resources, str) else resources,
        }
    return result


def runtime_policy(**parameters: str) -> dict[str, dict[str, Any]]:
    resource = resolve(RESOURCES["ObjectRuntimePolicy"], values(**parameters))
    return statements(resource["Properties"]["PolicyDocument"])


# --- functions, layer, API ---------------------------------------------------------------------


def test_functions_share_runtime_architecture_tracing_and_the_layer() -> None:
    defaults = TEMPLATE.document["Globals"]["Function"]
    assert defaults["Runtime"] == "python3.13"
    assert defaults["Architectures"] == ["arm64"]
    assert defaults["Tracing"] == "Active"
    assert defaults["Layers"] == [{"Ref": "DurableAgentsLayer"}]
    assert {logical_id: (spec.code_uri.relative_to(ROOT).as_posix(), spec.handler)
            for logical_id, spec in TEMPLATE.functions.items()} == {
        "ApiFunction": ("functions/api", "app.handler"),
        "ObjectHostFunction": ("functions/object_host", "app.handler"),
        "ReaperFunction": ("functions/reaper", "app.handler"),
    }
    for spec in TEMPLATE.functions.values():
        assert spec.runtime == "python3.13"
        assert spec.layer_paths == (ROOT / "shared",)
    assert TEMPLATE.functions["ApiFunction"].timeout <= 29  # API Gateway's integration timeout


def test_the_layer_is_the_shared_package_built_for_python_313_arm64() -> None:
    layer = RESOURCES["DurableAgentsLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert (ROOT / "shared" / "requirements.txt").is_file()
    assert not (ROOT / "shared" / "devstack").exists()


def test_every_route_of_the_http_contract_with_its_auth() -> None:
    assert {(route.method, route.path, route.auth, route.function) for route in TEMPLATE.routes} == {
        ("GET", "/", "NONE", "ApiFunction"),
        ("POST", "/chat", "NONE", "ApiFunction"),
        ("GET", "/sessions", "NONE", "ApiFunction"),
        ("GET", "/sessions/{session_id}", "NONE", "ApiFunction"),
        ("DELETE", "/sessions/{session_id}", "NONE", "ApiFunction"),
        ("GET", "/health", "NONE", "ApiFunction"),
        ("POST", "/agents/{namespace}/{name}/message", "AWS_IAM", "ApiFunction"),
        ("GET", "/agents/{namespace}/{name}/state", "AWS_IAM", "ApiFunction"),
        ("GET", "/agents/{namespace}/{name}/health", "AWS_IAM", "ApiFunction"),
    }
    assert {route.api for route in TEMPLATE.routes} == {"Api"}


def test_the_api_stage_is_traced_and_throttled_and_errors_are_json() -> None:
    api = RESOURCES["Api"]["Properties"]
    assert api["StageName"] == {"Ref": "Stage"}
    assert api["TracingEnabled"] is True
    assert "DefaultAuthorizer" not in api.get("Auth", {})
    (settings,) = api["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    for name, response in api["GatewayResponses"].items():
        body = response["ResponseTemplates"]["application/json"].replace(
            "$context.error.messageString", '"message"'
        )
        assert set(json.loads(body)["error"]) == {"code", "message"}, name
    assert api["GatewayResponses"]["REQUEST_TOO_LARGE"]["StatusCode"] == 413
    assert api["GatewayResponses"]["THROTTLED"]["StatusCode"] == 429


# --- table, stream, reaper ------------------------------------------------------------------------


def test_the_state_table() -> None:
    table = RESOURCES["StateTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    # The reaper reads the expired STATE item's generation from the stream record's OldImage.
    assert properties["StreamSpecification"]["StreamViewType"] in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    assert "TableName" not in properties  # a replacement must not collide with the retained table


def test_the_reaper_reads_filtered_stream_batches_with_a_dead_letter_queue() -> None:
    event = RESOURCES["ReaperFunction"]["Properties"]["Events"]["StateStream"]
    assert event["Type"] == "DynamoDB"
    properties = event["Properties"]
    assert properties["Stream"] == {"Fn::GetAtt": ["StateTable", "StreamArn"]}
    assert properties["BatchSize"] <= 10
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS", "Destination": {"Fn::GetAtt": ["ReaperDeadLetterQueue", "Arn"]},
    }
    patterns = [json.loads(item["Pattern"]) for item in properties["FilterCriteria"]["Filters"]]
    assert patterns == [
        {
            "eventName": ["REMOVE"],
            "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
            "dynamodb": {"Keys": {"sk": {"S": ["STATE"]}}},
        },
        {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "PURGE#"}]}}}},
    ]


# --- state machine --------------------------------------------------------------------------------


def test_the_coordination_state_machine() -> None:
    machine = RESOURCES["CoordinationStateMachine"]["Properties"]
    assert machine["Name"] == {"Fn::Sub": "${AWS::StackName}-coordinate"}
    assert machine["DefinitionUri"] == "statemachine/coordinate.asl.json"
    assert machine["DefinitionSubstitutions"] == {
        "ObjectHostFunctionArn": {"Fn::GetAtt": ["ObjectHostFunction", "Arn"]}
    }
    assert machine["Tracing"] == {"Enabled": True}
    assert machine["Logging"]["Level"] in ("ERROR", "ALL")
    assert machine["Logging"]["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["CoordinationLogGroup", "Arn"]}}}
    ]
    definition = TEMPLATE.state_machine_definition("CoordinationStateMachine", values())
    assert "${" not in definition
    record = json.loads(definition)["States"]["RecordCoordination"]
    assert record["Parameters"]["FunctionName"] == OBJECT_HOST_ARN


def test_the_state_machine_may_invoke_only_the_object_host() -> None:
    invoke, log_delivery = RESOURCES["CoordinationStateMachine"]["Properties"]["Policies"]
    assert invoke == {"LambdaInvokePolicy": {"FunctionName": {"Ref": "ObjectHostFunction"}}}
    (statement,) = log_delivery["Statement"]
    assert all(action.startswith("logs:") for action in statement["Action"])


# --- environment ----------------------------------------------------------------------------------


def test_the_environment_is_exactly_the_contract() -> None:
    environment = TEMPLATE.resolve_environment(values())
    assert set(environment) == ENVIRONMENT
    assert environment_variable_names() <= set(environment)
    assert {name: environment[name] for name in BINDINGS} == BINDINGS
    assert environment["STATE_TABLE"] == f"{STACK}-StateTable"
    assert environment["SCRAPER_ALLOW_PRIVATE_NETWORKS"] == "false"
    assert environment["TRUST_CLIENT_IDENTITY"] == "false"  # in AWS only the authorizer says who calls
    assert environment["LLM_PROVIDER"] == "embedded" and environment["TOOL_PROVIDER"] == "offline"


def test_fixed_names_in_the_environment_are_the_resources_names() -> None:
    local = values()
    environment = TEMPLATE.resolve_environment(local)
    assert environment["OBJECT_HOST_FUNCTION"] == local.refs["ObjectHostFunction"] == f"{STACK}-object-host"
    assert environment["COORDINATION_STATE_MACHINE_ARN"] == local.refs["CoordinationStateMachine"]
    assert environment["COORDINATION_STATE_MACHINE_ARN"] == STATE_MACHINE_ARN


@pytest.mark.parametrize("parameter, variable", [
    ("LlmProvider", "LLM_PROVIDER"), ("ToolProvider", "TOOL_PROVIDER"), ("LogLevel", "POWERTOOLS_LOG_LEVEL"),
    ("RetentionDays", "OBJECT_RETENTION_DAYS"), ("BusyWaitSeconds", "BUSY_WAIT_SECONDS"),
    ("IdempotencyHours", "IDEMPOTENCY_HOURS"),
])
def test_tunables_are_parameters(parameter: str, variable: str) -> None:
    choices = TEMPLATE.document["Parameters"][parameter].get("AllowedValues")
    value = str(choices[-1]) if choices else "7"
    if parameter in ("RetentionDays", "IdempotencyHours"):
        value = "*=7"
    assert TEMPLATE.resolve_environment(values(**{parameter: value}))[variable] == value


# --- IAM ------------------------------------------------------------------------------------------


def test_object_runtime_policy_is_scoped_to_this_stack() -> None:
    assert runtime_policy() == {
        "StateTableItems": {"Action": DATA_ACTIONS, "Resource": [TABLE_ARN]},
        "InvokeObjectHost": {"Action": {"lambda:InvokeFunction"}, "Resource": [OBJECT_HOST_ARN]},
        "StartCoordination": {"Action": {"states:StartExecution"}, "Resource": [STATE_MACHINE_ARN]},
        "DescribeCoordination": {
            "Action": {"states:DescribeExecution"},
            "Resource": [f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{STACK}-coordinate:*"],
        },
    }


def test_bedrock_is_allowed_only_for_the_configured_model_when_used() -> None:
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    policy = runtime_policy(LlmProvider="bedrock", BedrockModelId=model)
    assert policy["InvokeConfiguredModel"] == {
        "Action": {"bedrock:InvokeModel"},
        "Resource": [f"arn:aws:bedrock:{REGION}::foundation-model/{model}"],
    }
    assert "InvokeConfiguredModel" not in runtime_policy(LlmProvider="embedded", BedrockModelId=model)


def test_ssm_is_allowed_only_for_the_tool_secrets_parameter_when_set() -> None:
    policy = runtime_policy(ToolSecretsParameter="/durable-agents/prod/tool-keys")
    assert policy["ReadToolSecrets"] == {
        "Action": {"ssm:GetParameter"},
        "Resource": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/durable-agents/prod/tool-keys"],
    }
    assert "ReadToolSecrets" not in runtime_policy()


def test_api_and_object_host_get_only_the_object_runtime_policy() -> None:
    for logical_id in ("ApiFunction", "ObjectHostFunction"):
        properties = RESOURCES[logical_id]["Properties"]
        assert properties["Policies"] == [{"Ref": "ObjectRuntimePolicy"}], logical_id
        assert "Role" not in properties


def test_the_reaper_role_reads_only_this_stream_and_deletes_only_in_this_table() -> None:
    resolved = resolve(RESOURCES["ReaperRole"], values())
    assert RESOURCES["ReaperFunction"]["Properties"]["Role"] == {"Fn::GetAtt": ["ReaperRole", "Arn"]}
    assert resolved["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    (policy,) = resolved["Properties"]["Policies"]
    granted = statements(policy["PolicyDocument"])
    assert granted["ReadStateStream"] == {
        "Action": {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"},
        "Resource": [STREAM_ARN],
    }
    assert granted["ListStateStreams"]["Resource"] == [f"{TABLE_ARN}/stream/*"]
    assert granted["DeleteObjectItems"]["Resource"] == [TABLE_ARN]
    assert granted["DeleteObjectItems"]["Action"] <= DATA_ACTIONS
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"}.isdisjoint(granted["DeleteObjectItems"]["Action"])
    assert granted["DeadLetter"] == {"Action": {"sqs:SendMessage"}, "Resource": [QUEUE_ARN]}
    assert granted["OwnLogs"] == {"Action": {"logs:CreateLogStream", "logs:PutLogEvents"},
                                  "Resource": [LOG_GROUP_ARN]}
    wildcard = {sid for sid, statement in granted.items() if "*" in statement["Resource"]}
    assert wildcard == {"Tracing"}
    assert all(action.startswith("xray:") for action in granted["Tracing"]["Action"])


def test_only_log_delivery_and_tracing_use_wildcard_resources() -> None:
    def wildcard_actions(node: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            if node.get("Resource") == "*" or node.get("Resource") == ["*"]:
                actions = node["Action"]
                found |= {actions} if isinstance(actions, str) else set(actions)
            for child in node.values():
                found |= wildcard_actions(child)
        elif isinstance(node, list):
            for child in node:
                found |= wildcard_actions(child)
        return found

    actions = wildcard_actions(RESOURCES)
    assert actions
    assert all(action.split(":")[0] in ("logs", "xray") for action in actions), actions


# --- outputs and samconfig ------------------------------------------------------------------------


def test_outputs() -> None:
    outputs = TEMPLATE.document["Outputs"]
    assert {"ApiUrl", "StateTableName", "CoordinationStateMachineArn", "ApiFunctionName",
            "ObjectHostFunctionName", "ReaperFunctionName"} <= set(outputs)
    assert outputs["StateTableName"]["Value"] == {"Ref": "StateTable"}


def test_samconfig_environments() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["version"] == 0.1
    parameters = set(TEMPLATE.document["Parameters"])
    for environment in ("default", "dev", "prod"):
        assert config[environment]["global"]["parameters"]["stack_name"].startswith("durable-agents-")
        assert config[environment]["build"]["parameters"] == {"cached": True, "parallel": True}
        deploy = config[environment]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True
        overrides = dict(item.split("=", 1) for item in shlex.split(deploy["parameter_overrides"]))
        assert set(overrides) <= parameters, environment
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
    stack_names = {config[name]["global"]["parameters"]["stack_name"] for name in ("dev", "prod")}
    assert len(stack_names) == 2
