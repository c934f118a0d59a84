"""template.yaml and samconfig.toml: structure, the HTTP contract, identity, least-privilege IAM, time
limits, and no circular dependencies.

Policies are checked after evaluating their intrinsics (devstack.template) for concrete parameter
values, so conditional statements are checked both ways.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.template import LocalValues, SamTemplate, resolve
from durable_agents.config import environment_variable_names
from durable_agents.llm.bedrock import ANSWER_RESERVE_SECONDS, READ_TIMEOUTS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = SamTemplate.load(ROOT / "template.yaml")
RESOURCES = TEMPLATE.resources
PARAMETERS = TEMPLATE.document["Parameters"]

STACK = "da-test"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STACK}-StateTable"
STREAM_ARN = f"{TABLE_ARN}/stream/2026-01-01T00:00:00.000"
OBJECT_HOST_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-object-host"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}-coordinate"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-ReaperDeadLetterQueue"
USER_POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEf123"
REST_API_ID = "a1b2c3d4e5"


def log_group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"


def role_arn(logical_id: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{logical_id}-ABC123"


BINDINGS = {
    "BINDING_TRAVEL_AGENT": "durable_agents.agents.travel:TravelAgent",
    "BINDING_SCRAPING_AGENT": "durable_agents.agents.scraping:ScrapingAgent",
    "BINDING_CONVERSATION_MANAGER": "durable_agents.agents.conversation:ConversationManager",
    "BINDING_SESSION_MANAGER": "durable_agents.agents.session:SessionManager",
}
ENVIRONMENT = {
    "STATE_TABLE",
    "OBJECT_RETENTION_DAYS",
    "SESSION_IDLE_DAYS",
    "OBJECT_HOST_FUNCTION",
    "COORDINATION_STATE_MACHINE_ARN",
    "LEASE_SECONDS",
    "LEASE_MARGIN_SECONDS",
    "BUSY_WAIT_SECONDS",
    "LLM_PROVIDER",
    "BEDROCK_MODEL_ID",
    "TOOL_PROVIDER",
    "TOOL_TIMEOUT_SECONDS",
    "TOOL_SECRETS_PARAMETER",
    "SCRAPER_ALLOW_PRIVATE_NETWORKS",
    "TRUST_CLIENT_IDENTITY",
    "IDEMPOTENCY_HOURS",
    "COGNITO_DOMAIN",
    "COGNITO_CLIENT_ID",
    "COGNITO_ISSUER",
    "WEBSOCKET_CALLBACK_URL",
    "TRACING_ENABLED",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    *BINDINGS,
}
DATA_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
}
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
BEDROCK_ACTIONS = {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}  # Converse, ConverseStream
FUNCTION_ROLES = {
    "ApiFunction": "ApiRole",
    "ObjectHostFunction": "ObjectHostRole",
    "ReaperFunction": "ReaperRole",
    "LiveFunction": "LiveRole",
    "LiveAuthorizerFunction": "LiveAuthorizerRole",
}


def values(**parameters: str) -> LocalValues:
    """Concrete values for a deployment of the template (plus attributes only AWS would know)."""
    local = TEMPLATE.local_values(stack_name=STACK, region=REGION, account_id=ACCOUNT, parameters=parameters)
    deployed = {
        "StateTable.StreamArn": STREAM_ARN,
        "ReaperDeadLetterQueue.Arn": QUEUE_ARN,
        "UserPool.Arn": USER_POOL_ARN,
        "UserPoolClientSettingsFunction.Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-settings",
        "ApiGatewayLoggingRoleResource.Arn": role_arn("ApiGatewayLoggingRole"),
        **{
            f"{role}.Arn": role_arn(role) for role in (*FUNCTION_ROLES.values(), "UserPoolClientSettingsRole")
        },
        **{
            f"{logical_id}.Arn": log_group_arn(
                resolve(RESOURCES[logical_id]["Properties"]["LogGroupName"], local)
            )
            for logical_id, resource in RESOURCES.items()
            if resource["Type"] == "AWS::Logs::LogGroup"
        },
    }
    refs = {
        **local.refs,
        "Api": REST_API_ID,
        "UserPool": f"{REGION}_AbCdEf123",
        "UserPoolClient": "client123",
    }
    return dataclasses.replace(local, attributes={**local.attributes, **deployed}, refs=refs)


def statements(policy_document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy's statements by Sid, actions as sets, resources as lists, conditions as they are."""
    result = {}
    for statement in policy_document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        result[statement["Sid"]] = {
            "Action": {actions} if isinstance(actions, str) else set(actions),
            "Resource": [resources] if isinstance(resources, str) else resources,
            **({"Condition": statement["Condition"]} if "Condition" in statement else {}),
        }
    return result


def role_policy(role: str, **parameters: str) -> dict[str, dict[str, Any]]:
    """The statements of ``role``'s one inline policy, for a deployment with ``parameters``."""
    resolved = resolve(RESOURCES[role], values(**parameters))
    assert resolved["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    (policy,) = resolved["Properties"]["Policies"]
    assert "ManagedPolicyArns" not in resolved["Properties"]
    return statements(policy["PolicyDocument"])


def resolved(logical_id: str, **parameters: str) -> Any:
    return resolve(RESOURCES[logical_id], values(**parameters))["Properties"]


# --- functions, layer ----------------------------------------------------------------------------------


def test_functions_share_runtime_architecture_and_the_layer() -> None:
    defaults = TEMPLATE.document["Globals"]["Function"]
    assert defaults["Runtime"] == "python3.13"
    assert defaults["Architectures"] == ["arm64"]
    assert defaults["Layers"] == [{"Ref": "DurableAgentsLayer"}]
    assert {
        logical_id: (spec.code_uri.relative_to(ROOT).as_posix(), spec.handler)
        for logical_id, spec in TEMPLATE.functions.items()
    } == {
        "ApiFunction": ("functions/api", "app.handler"),
        "ObjectHostFunction": ("functions/object_host", "app.handler"),
        "ReaperFunction": ("functions/reaper", "app.handler"),
        "AlarmSweeperFunction": ("functions/alarms", "app.handler"),
        "LiveFunction": ("functions/live", "app.handler"),
        "LiveAuthorizerFunction": ("functions/live_authorizer", "app.handler"),
    }
    for spec in TEMPLATE.functions.values():
        assert spec.runtime == "python3.13"
        assert spec.layer_paths == (ROOT / "shared",)


def test_the_layer_is_the_shared_package_built_for_python_313_arm64() -> None:
    layer = RESOURCES["DurableAgentsLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert (ROOT / "shared" / "requirements.txt").is_file()
    assert not (ROOT / "shared" / "devstack").exists()


# --- tracing: a choice ---------------------------------------------------------------------------------


def test_tracing_is_a_parameter_that_lambda_api_gateway_and_step_functions_follow() -> None:
    assert PARAMETERS["Tracing"]["AllowedValues"] == ["Active", "PassThrough", "Disabled"]
    assert PARAMETERS["Tracing"]["Default"] == "Disabled"
    # SAM resolves the parameter: "Disabled" sets no TracingConfig at all, the others are Lambda's modes
    assert TEMPLATE.document["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}
    for mode, on in [("Active", True), ("PassThrough", True), ("Disabled", False)]:
        assert resolved("Api", Tracing=mode)["TracingEnabled"] is on
        assert resolved("CoordinationStateMachine", Tracing=mode)["Tracing"] == {"Enabled": on}
        assert TEMPLATE.resolve_environment(values(Tracing=mode))["TRACING_ENABLED"] == (
            "true" if on else "false"
        )


@pytest.mark.parametrize("mode", ["Active", "PassThrough", "Disabled"])
def test_only_traced_deployments_may_write_traces(mode: str) -> None:
    for role in FUNCTION_ROLES.values():
        granted = role_policy(role, Tracing=mode)
        if mode == "Disabled":
            assert "Tracing" not in granted, role
        else:
            assert granted["Tracing"] == {"Action": XRAY, "Resource": ["*"]}, role
    machine_policies = resolved("CoordinationStateMachine", Tracing=mode)["Policies"]
    assert any("xray:PutTraceSegments" in json.dumps(policy) for policy in machine_policies) is (
        mode != "Disabled"
    )


# --- the API: routes, identity, errors ------------------------------------------------------------------


def test_every_route_of_the_http_contract_with_its_auth() -> None:
    assert {(route.method, route.path, route.auth, route.function) for route in TEMPLATE.routes} == {
        ("GET", "/", "NONE", "ApiFunction"),
        ("POST", "/chat", "CognitoAuthorizer", "ApiFunction"),
        ("GET", "/sessions", "CognitoAuthorizer", "ApiFunction"),
        ("GET", "/sessions/{session_id}", "CognitoAuthorizer", "ApiFunction"),
        ("DELETE", "/sessions/{session_id}", "CognitoAuthorizer", "ApiFunction"),
        ("GET", "/health", "NONE", "ApiFunction"),
        ("POST", "/agents/{namespace}/{name}/message", "AWS_IAM", "ApiFunction"),
        ("GET", "/agents/{namespace}/{name}/state", "AWS_IAM", "ApiFunction"),
        ("GET", "/agents/{namespace}/{name}/health", "AWS_IAM", "ApiFunction"),
    }
    assert {route.api for route in TEMPLATE.routes} == {"Api"}
    assert "DefaultAuthorizer" not in RESOURCES["Api"]["Properties"]["Auth"]  # / and /health stay open
    events = RESOURCES["ApiFunction"]["Properties"]["Events"]
    keyed = {
        name for name, event in events.items() if event["Properties"].get("Auth", {}).get("ApiKeyRequired")
    }
    assert keyed == {"AgentMessage", "AgentState", "AgentHealth"}


def test_the_authorizer_is_the_created_user_pool_or_the_given_one() -> None:
    (authorizer,) = RESOURCES["Api"]["Properties"]["Auth"]["Authorizers"].values()
    assert list(RESOURCES["Api"]["Properties"]["Auth"]["Authorizers"]) == ["CognitoAuthorizer"]
    assert resolve(authorizer, values())["UserPoolArn"] == USER_POOL_ARN
    existing = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_Existing1"
    assert resolve(authorizer, values(CognitoUserPoolArn=existing))["UserPoolArn"] == existing
    assert authorizer["Identity"] == {"Header": "Authorization"}


def test_the_stack_creates_a_user_pool_a_hosted_ui_and_a_public_pkce_client() -> None:
    for logical_id in ("UserPool", "UserPoolDomain", "UserPoolClient", "UserPoolClientSettings"):
        assert RESOURCES[logical_id]["Condition"] == "CreateUserPool", logical_id
    assert RESOURCES["UserPool"]["DeletionPolicy"] == "Retain"  # it holds the users
    assert resolved("UserPool")["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert resolved("UserPool", CognitoSelfSignUp="true")["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": False
    }
    assert resolved("UserPoolDomain")["Domain"] == f"{STACK}-{ACCOUNT}"
    assert resolved("UserPoolDomain", CognitoDomainPrefix="trips")["Domain"] == "trips"
    # the client's template properties all replace it when changed: its settings are never reset in place
    assert resolved("UserPoolClient") == {"UserPoolId": f"{REGION}_AbCdEf123", "GenerateSecret": False}
    settings = resolved("UserPoolClientSettings")
    assert settings["ClientId"] == "client123" and settings["UserPoolId"] == f"{REGION}_AbCdEf123"
    stage_url = f"https://{REST_API_ID}.execute-api.{REGION}.amazonaws.com/dev/"
    client = settings["Settings"]
    assert client["CallbackURLs"] == [stage_url] and client["LogoutURLs"] == [stage_url]
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] == "true"
    assert {"openid", "email"} <= set(client["AllowedOAuthScopes"])  # what the page asks for
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["ExplicitAuthFlows"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"


def test_the_client_settings_function_may_only_update_this_pools_clients() -> None:
    granted = statements(resolved("UserPoolClientSettingsRole")["Policies"][0]["PolicyDocument"])
    assert granted["UpdateTheClient"] == {
        "Action": {"cognito-idp:UpdateUserPoolClient"},
        "Resource": [USER_POOL_ARN],
    }
    assert granted["OwnLogs"]["Resource"] == [log_group_arn(f"/aws/lambda/{STACK}-user-pool-client-settings")]
    function = resolved("UserPoolClientSettingsFunction")
    assert function["Runtime"] == "python3.13" and function["Handler"] == "index.handler"


def test_the_chat_page_signs_in_through_the_created_pool_or_the_given_one() -> None:
    environment = TEMPLATE.resolve_environment(values())
    assert environment["COGNITO_DOMAIN"] == f"{STACK}-UserPoolDomain.auth.{REGION}.amazoncognito.com"
    assert environment["COGNITO_CLIENT_ID"] == "client123"
    existing = TEMPLATE.resolve_environment(
        values(
            CognitoUserPoolArn=f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_Existing1",
            CognitoDomain="auth.example.com",
            CognitoClientId="existing-client",
        )
    )
    assert (
        existing["COGNITO_DOMAIN"] == "auth.example.com"
        and existing["COGNITO_CLIENT_ID"] == "existing-client"
    )
    assert environment["TRUST_CLIENT_IDENTITY"] == existing["TRUST_CLIENT_IDENTITY"] == "false"


def test_the_api_stage_is_throttled_logged_and_errors_are_json() -> None:
    api = RESOURCES["Api"]["Properties"]
    assert api["StageName"] == {"Ref": "Stage"}
    (settings,) = api["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    for name, response in api["GatewayResponses"].items():
        body = response["ResponseTemplates"]["application/json"].replace(
            "$context.error.messageString", '"message"'
        )
        assert set(json.loads(body)["error"]) == {"code", "message"}, name
    statuses = {name: response.get("StatusCode") for name, response in api["GatewayResponses"].items()}
    assert statuses["UNAUTHORIZED"] == 401 and statuses["REQUEST_TOO_LARGE"] == 413
    assert statuses["THROTTLED"] == statuses["QUOTA_EXCEEDED"] == 429
    unauthorized = api["GatewayResponses"]["UNAUTHORIZED"]
    assert (
        json.loads(
            unauthorized["ResponseTemplates"]["application/json"].replace(
                "$context.error.messageString", '"m"'
            )
        )["error"]["code"]
        == "unauthorized"
    )  # the app's own 401 code
    assert unauthorized["ResponseParameters"]["Headers"] == {"WWW-Authenticate": "'Bearer'"}


def test_access_logs_go_to_a_log_group_with_retention_and_hold_no_request_content() -> None:
    stage = resolved("Api")
    log_group = resolved("ApiAccessLogGroup")
    assert log_group["RetentionInDays"] == "30"
    assert resolved("ApiAccessLogGroup", LogRetentionDays="90")["RetentionInDays"] == "90"
    assert stage["AccessLogSetting"]["DestinationArn"] == log_group_arn(log_group["LogGroupName"])
    fields = json.loads(stage["AccessLogSetting"]["Format"])
    assert {"requestId", "status", "resource", "user", "caller"} <= set(fields)
    assert not {"$context.path", "$context.requestOverride", "$input.body"} & set(fields.values())
    # the account's logging role: created (and waited for by the stage) or already there
    assert resolved("Api")["Tags"] == {"logging-role-account": f"{STACK}-ApiGatewayAccount"}
    assert resolved("Api", ApiGatewayLoggingRole="existing")["Tags"] == {"logging-role-account": "existing"}
    assert RESOURCES["ApiGatewayAccount"]["Condition"] == "CreateApiGatewayLoggingRole"


def test_the_agents_routes_are_for_the_stacks_own_roles_only() -> None:
    custom = resolved("Api")["Auth"]["ResourcePolicy"]["CustomStatements"]
    allow, deny = custom
    assert allow == {
        "Sid": "Callers",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
    }
    assert (
        deny["Effect"] == "Deny"
        and deny["Principal"] == "*"
        and deny["Resource"] == "execute-api:/*/*/agents/*"
    )
    assert deny["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": [role_arn("ApiRole"), role_arn("ObjectHostRole")]}
    }
    operator = f"arn:aws:iam::{ACCOUNT}:role/operator"
    _, deny = resolved("Api", AgentsApiCallerRoleArn=operator)["Auth"]["ResourcePolicy"]["CustomStatements"]
    assert deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"][-1] == operator


def test_the_agents_routes_have_a_usage_plan_from_parameters() -> None:
    plan = resolved("Api", AgentsApiRateLimit="3", AgentsApiBurstLimit="6", AgentsApiQuotaPerDay="500")[
        "Auth"
    ]["UsagePlan"]
    assert plan["CreateUsagePlan"] == "PER_API"
    assert plan["Throttle"] == {"RateLimit": "3", "BurstLimit": "6"}
    assert plan["Quota"] == {"Limit": "500", "Period": "DAY"}
    assert TEMPLATE.document["Outputs"]["AgentsApiKeyId"]["Value"] == {
        "Ref": "ApiApiKey"
    }  # SAM's key for the plan


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
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["ReaperDeadLetterQueue", "Arn"]},
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
    assert machine["Logging"]["Level"] in ("ERROR", "ALL")
    assert machine["Logging"]["IncludeExecutionData"] is False  # user messages stay out of the logs
    assert machine["Logging"]["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["CoordinationLogGroup", "Arn"]}}}
    ]
    definition = TEMPLATE.state_machine_definition("CoordinationStateMachine", values())
    assert "${" not in definition
    record = json.loads(definition)["States"]["RecordCoordination"]
    assert record["Parameters"]["FunctionName"] == OBJECT_HOST_ARN


def test_the_state_machine_may_invoke_only_the_object_host() -> None:
    invoke, log_delivery, _tracing = RESOURCES["CoordinationStateMachine"]["Properties"]["Policies"]
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


@pytest.mark.parametrize(
    "parameter, variable",
    [
        ("LlmProvider", "LLM_PROVIDER"),
        ("ToolProvider", "TOOL_PROVIDER"),
        ("LogLevel", "POWERTOOLS_LOG_LEVEL"),
        ("RetentionDays", "OBJECT_RETENTION_DAYS"),
        ("BusyWaitSeconds", "BUSY_WAIT_SECONDS"),
        ("IdempotencyHours", "IDEMPOTENCY_HOURS"),
    ],
)
def test_tunables_are_parameters(parameter: str, variable: str) -> None:
    choices = PARAMETERS[parameter].get("AllowedValues")
    value = str(choices[-1]) if choices else "7"
    if parameter in ("RetentionDays", "IdempotencyHours"):
        value = "*=7"
    assert TEMPLATE.resolve_environment(values(**{parameter: value}))[variable] == value


# --- IAM: each function gets only what it uses --------------------------------------------------------


def test_each_function_has_its_own_role() -> None:
    for function, role in FUNCTION_ROLES.items():
        properties = RESOURCES[function]["Properties"]
        assert properties["Role"] == {"Fn::GetAtt": [role, "Arn"]}, function
        assert "Policies" not in properties, function


def test_the_object_host_gets_the_table_coordination_the_sockets_and_its_logs() -> None:
    assert role_policy("ObjectHostRole") == {
        "StateTableItems": {"Action": DATA_ACTIONS, "Resource": [TABLE_ARN]},
        "StartCoordination": {"Action": {"states:StartExecution"}, "Resource": [STATE_MACHINE_ARN]},
        "PostToSockets": {"Action": {"execute-api:ManageConnections"}, "Resource": [CONNECTIONS_ARN]},
        "OwnLogs": {
            "Action": {"logs:CreateLogStream", "logs:PutLogEvents"},
            "Resource": [log_group_arn(f"/aws/lambda/{STACK}-object-host")],
        },
    }


CONNECTIONS_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{STACK}-LiveApi/dev/*/@connections/*"


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {
            "LlmProvider": "bedrock",
            "ToolSecretsParameter": "/p",
            "ToolSecretsKmsKeyArn": "",
            "Tracing": "Active",
        },
    ],
    ids=["defaults", "bedrock, secrets, tracing"],
)
@pytest.mark.parametrize(("role", "log_group"), [("LiveRole", "live"), ("ApiRole", "api")])
def test_the_functions_that_run_turns_may_do_what_the_object_host_does_and_nothing_more(
    parameters: dict[str, str], role: str, log_group: str
) -> None:
    """A turn runs in the function that received it (one function per turn: a socket's in the Live
    function, a POST /chat in the Api function): each needs the object host's rights (table,
    coordination, model, secrets, sockets), and only its own logs beside them; none invokes the host."""
    runs, host = role_policy(role, **parameters), role_policy("ObjectHostRole", **parameters)
    assert runs.pop("OwnLogs")["Resource"] == [log_group_arn(f"/aws/lambda/{STACK}-{log_group}")]
    host.pop("OwnLogs")
    assert runs == host
    assert all("lambda:InvokeFunction" not in statement["Action"] for statement in runs.values())


def test_the_socket_authorizer_may_only_write_its_logs() -> None:
    assert role_policy("LiveAuthorizerRole", Tracing="Disabled") == {
        "OwnLogs": {
            "Action": {"logs:CreateLogStream", "logs:PutLogEvents"},
            "Resource": [log_group_arn(f"/aws/lambda/{STACK}-live-authorizer")],
        }
    }


def test_the_websocket_api_routes_connect_through_the_cognito_authorizer_to_the_live_function() -> None:
    routes = {
        resource["Properties"]["RouteKey"]: resource["Properties"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert all(routes[key].get("AuthorizationType") is None for key in ("$disconnect", "$default"))
    authorizer = resolved("LiveAuthorizer")
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    assert "LiveAuthorizerFunction" in str(RESOURCES["LiveAuthorizer"]["Properties"]["AuthorizerUri"])
    assert TEMPLATE.websocket_function == "LiveFunction"
    environment = TEMPLATE.resolve_environment(values())
    assert (
        environment["WEBSOCKET_CALLBACK_URL"]
        == f"https://{STACK}-LiveApi.execute-api.{REGION}.amazonaws.com/dev"
    )
    assert environment["COGNITO_ISSUER"] == f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123"
    given = TEMPLATE.resolve_environment(
        values(
            CognitoUserPoolArn=f"arn:aws:cognito-idp:eu-central-1:{ACCOUNT}:userpool/eu-central-1_Zz9",
            CognitoDomain="auth.example.com",
            CognitoClientId="abc",
        )
    )
    assert given["COGNITO_ISSUER"] == "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Zz9"


def test_bedrock_is_allowed_only_for_the_configured_model_when_used() -> None:
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    policy = role_policy("ObjectHostRole", LlmProvider="bedrock", BedrockModelId=model)
    assert policy["InvokeConfiguredModel"] == {
        "Action": BEDROCK_ACTIONS,
        "Resource": [f"arn:aws:bedrock:{REGION}::foundation-model/{model}"],
    }
    assert not {"InvokeConfiguredProfile", "InvokeProfileModel"} & set(policy)
    assert not any(sid.startswith("Invoke") and "Configured" in sid for sid in role_policy("ObjectHostRole"))


@pytest.mark.parametrize("geography", ["us", "eu", "apac", "global"])
def test_a_cross_region_inference_profile_gets_the_profile_and_its_model_through_it(geography: str) -> None:
    profile_id = f"{geography}.anthropic.claude-3-5-haiku-20241022-v1:0"
    policy = role_policy("ObjectHostRole", LlmProvider="bedrock", BedrockModelId=profile_id)
    profile_arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{profile_id}"
    assert policy["InvokeConfiguredProfile"] == {"Action": BEDROCK_ACTIONS, "Resource": [profile_arn]}
    assert policy["InvokeProfileModel"] == {
        "Action": BEDROCK_ACTIONS,
        "Resource": ["arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"],
        "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": profile_arn}},
    }
    assert "InvokeConfiguredModel" not in policy


def test_ssm_is_allowed_only_for_the_tool_secrets_parameter_and_its_key_only_through_ssm() -> None:
    name = "/durable-agents/prod/tool-keys"
    parameter_arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"
    policy = role_policy("ObjectHostRole", ToolSecretsParameter=name)
    assert policy["ReadToolSecrets"] == {"Action": {"ssm:GetParameter"}, "Resource": [parameter_arn]}
    assert "DecryptToolSecrets" not in policy  # the AWS-managed aws/ssm key needs no grant
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = role_policy("ObjectHostRole", ToolSecretsParameter=name, ToolSecretsKmsKeyArn=key)
    assert policy["DecryptToolSecrets"] == {
        "Action": {"kms:Decrypt"},
        "Resource": [key],
        "Condition": {
            "StringEquals": {
                "kms:ViaService": f"ssm.{REGION}.amazonaws.com",
                "kms:EncryptionContext:PARAMETER_ARN": parameter_arn,
            }
        },
    }
    assert not {"ReadToolSecrets", "DecryptToolSecrets"} & set(
        role_policy("ObjectHostRole", ToolSecretsKmsKeyArn=key)
    )


def test_the_reaper_role_reads_only_this_stream_and_deletes_only_in_this_table() -> None:
    granted = role_policy("ReaperRole", Tracing="Active")
    assert granted["ReadStateStream"] == {
        "Action": {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"},
        "Resource": [STREAM_ARN],
    }
    assert granted["ListStateStreams"]["Resource"] == [f"{TABLE_ARN}/stream/*"]
    assert granted["DeleteObjectItems"]["Resource"] == [TABLE_ARN]
    assert granted["DeleteObjectItems"]["Action"] <= DATA_ACTIONS
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"}.isdisjoint(granted["DeleteObjectItems"]["Action"])
    assert granted["DeadLetter"] == {"Action": {"sqs:SendMessage"}, "Resource": [QUEUE_ARN]}
    assert granted["OwnLogs"] == {
        "Action": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "Resource": [log_group_arn(f"/aws/lambda/{STACK}-reaper")],
    }
    wildcard = {sid for sid, statement in granted.items() if "*" in statement["Resource"]}
    assert wildcard == {"Tracing"}


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


def test_reserved_concurrency_is_a_parameter_per_function() -> None:
    for function, parameter in [
        ("ApiFunction", "ApiReservedConcurrency"),
        ("ObjectHostFunction", "ObjectHostReservedConcurrency"),
        ("ReaperFunction", "ReaperReservedConcurrency"),
    ]:
        assert "ReservedConcurrentExecutions" not in resolved(function)  # -1: the account's unreserved pool
        assert resolved(function, **{parameter: "25"})["ReservedConcurrentExecutions"] == "25"


# --- time limits that nest ----------------------------------------------------------------------------


def test_time_limits_nest_inside_api_gateways_29_seconds() -> None:
    api = TEMPLATE.functions["ApiFunction"].timeout
    host = TEMPLATE.functions["ObjectHostFunction"].timeout
    assert api == 29  # API Gateway's integration timeout
    assert host < api  # the object host never outlives the API call that invoked it
    busy_wait = PARAMETERS["BusyWaitSeconds"]
    assert busy_wait["MaxValue"] <= 20 and busy_wait["Default"] <= busy_wait["MaxValue"]
    assert api - busy_wait["MaxValue"] >= 9  # a turn that waited the longest still has time to answer
    assert PARAMETERS["ToolTimeoutSeconds"]["MaxValue"] < host
    assert max(READ_TIMEOUTS) + ANSWER_RESERVE_SECONDS < host  # one Bedrock attempt fits the object host


# --- no circular dependencies ---------------------------------------------------------------------------


def dependencies(node: Any) -> Iterator[str]:
    """The logical ids ``node`` refers to (Ref, Fn::GetAtt, Fn::Sub variables)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".")[0]
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                local = set() if isinstance(value, str) else set(value[1])
                yield from (
                    name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text) if name not in local
                )
                if not isinstance(value, str):
                    yield from dependencies(value[1])
            else:
                yield from dependencies(value)
    elif isinstance(node, list):
        for item in node:
            yield from dependencies(item)


def dependency_graph() -> dict[str, set[str]]:
    """What each resource depends on, as CloudFormation will see it after the SAM transform: its own
    references, the Globals' (for functions, whose events become resources of their own), and each API's
    integrations with the functions whose Api events name it."""
    globals_ = TEMPLATE.document["Globals"]["Function"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in RESOURCES.items():
        properties = dict(resource.get("Properties", {}))
        if resource["Type"] == "AWS::Serverless::Function":
            properties.pop("Events", None)  # they become resources of their own (permissions, mappings)
            properties["Globals"] = globals_
        found = set(dependencies(properties))
        depends_on = resource.get("DependsOn", [])
        found |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[logical_id] = found & set(RESOURCES)
    for route in TEMPLATE.routes:
        graph[route.api].add(route.function)
    return graph


def test_there_is_no_circular_dependency() -> None:
    graph = dependency_graph()
    assert "ApiFunction" in graph["Api"] and "UserPoolClient" in graph["ApiFunction"]  # the edges that matter
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join((*path, node))
        if node not in done:
            for child in graph[node]:
                visit(child, (*path, node))
            done.add(node)

    for node in graph:
        visit(node, ())


# --- outputs and samconfig ------------------------------------------------------------------------


def test_outputs() -> None:
    outputs = TEMPLATE.document["Outputs"]
    assert {
        "ApiUrl",
        "StateTableName",
        "CoordinationStateMachineArn",
        "ApiFunctionName",
        "ObjectHostFunctionName",
        "ReaperFunctionName",
        "UserPoolId",
        "SignInDomain",
        "AgentsApiKeyId",
    } <= set(outputs)
    assert outputs["StateTableName"]["Value"] == {"Ref": "StateTable"}
    assert outputs["UserPoolId"]["Condition"] == outputs["SignInDomain"]["Condition"] == "CreateUserPool"


def test_samconfig_environments() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert config["version"] == 0.1
    parameters = set(PARAMETERS)
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
    prod = dict(
        item.split("=", 1)
        for item in shlex.split(config["prod"]["deploy"]["parameters"]["parameter_overrides"])
    )
    # production reserves concurrency, the object host's at least the API's (a /chat turn holds one each)
    assert 0 < int(prod["ApiReservedConcurrency"]) <= int(prod["ObjectHostReservedConcurrency"])


def test_the_alarm_sweeper_runs_every_minute_reads_only_the_alarms_index_and_invokes_only_the_host() -> None:
    function = RESOURCES["AlarmSweeperFunction"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2" and event["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert function["Timeout"] > 55 + 5  # a sweep watches 55 s, and stops 5 s before the invocation ends
    statements = RESOURCES["AlarmSweeperRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {s["Sid"]: s for s in statements if "Sid" in s}
    assert granted["ReadAlarmsIndex"]["Action"] == "dynamodb:Query"
    assert granted["ReadAlarmsIndex"]["Resource"] == {"Fn::Sub": "${StateTable.Arn}/index/alarms"}
    assert granted["DeliverAlarms"]["Action"] == "lambda:InvokeFunction"
    assert granted["DeliverAlarms"]["Resource"]["Fn::Sub"].endswith(":function:${AWS::StackName}-object-host")
    index = RESOURCES["StateTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index == [
        {
            "IndexName": "alarms",
            "KeySchema": [
                {"AttributeName": "alarm_shard", "KeyType": "HASH"},
                {"AttributeName": "alarm", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]
