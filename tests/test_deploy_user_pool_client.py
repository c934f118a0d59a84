"""The custom resource that applies the chat page's app client settings (template.yaml's inline code),
against moto's Cognito and a local stand-in for CloudFormation's presigned response URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.template import SamTemplate, resolve

TEMPLATE = SamTemplate.load()
STAGE_URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev/"


@pytest.fixture
def code() -> ModuleType:
    module = ModuleType("user_pool_client_settings")
    source = TEMPLATE.resources["UserPoolClientSettingsFunction"]["Properties"]["Code"]["ZipFile"]
    exec(compile(source, "index.py", "exec"), module.__dict__)
    return module


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("cognito-idp")


@pytest.fixture
def cloudformation() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The response URL, and the responses PUT to it."""
    responses: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:  # noqa: N802
            responses.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/response?signature=x", responses
    server.shutdown()
    server.server_close()


def event(request_type: str, response_url: str, pool: str, client: str) -> dict[str, Any]:
    values = TEMPLATE.local_values(stack_name="da-test", region="eu-west-1", account_id="111122223333")
    settings = resolve(TEMPLATE.resources["UserPoolClientSettings"]["Properties"]["Settings"], values)
    settings["CallbackURLs"] = settings["LogoutURLs"] = [STAGE_URL]
    return {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/da-test/1",
        "RequestId": "request-1",
        "LogicalResourceId": "UserPoolClientSettings",
        "ResourceProperties": {
            "ServiceToken": "arn",
            "UserPoolId": pool,
            "ClientId": client,
            "Settings": settings,
        },
    }


def test_create_applies_the_oauth_settings_and_answers_success(
    code: ModuleType, cognito: Any, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, responses = cloudformation
    pool = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="x", GenerateSecret=False)[
        "UserPoolClient"
    ]

    code.handler(event("Create", url, pool, client["ClientId"]), None)

    [response] = responses
    assert response["Status"] == "SUCCESS" and response["RequestId"] == "request-1"
    assert response["PhysicalResourceId"] == f"{client['ClientId']}-settings"
    settings = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client["ClientId"])[
        "UserPoolClient"
    ]
    assert settings["CallbackURLs"] == [STAGE_URL] and settings["LogoutURLs"] == [STAGE_URL]
    assert settings["AllowedOAuthFlows"] == ["code"] and settings["AllowedOAuthFlowsUserPoolClient"] is True
    assert settings["AllowedOAuthScopes"] == ["openid", "email"]
    assert settings["IdTokenValidity"] == 60 and settings["EnableTokenRevocation"] is True
    assert "ClientSecret" not in settings


def test_a_failure_answers_failed_with_the_reason(
    code: ModuleType, cognito: Any, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, responses = cloudformation
    pool = cognito.create_user_pool(PoolName="users")["UserPool"]["Id"]
    code.handler(event("Update", url, pool, "no-such-client"), None)
    [response] = responses
    assert response["Status"] == "FAILED" and "ResourceNotFoundException" in response["Reason"]


def test_delete_changes_nothing_and_answers_success(
    code: ModuleType, cognito: Any, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, responses = cloudformation
    code.handler(event("Delete", url, "eu-west-1_gone", "gone"), None)
    assert [response["Status"] for response in responses] == ["SUCCESS"]
