"""Who is calling, in AWS (``TRUST_CLIENT_IDENTITY=false``, as template.yaml deploys the API): only the
authorizer's identity counts, checked with events shaped the way API Gateway sends them, with and
without a Cognito authorizer context."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import HttpStack, http_stack

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
EVENTS = Path(__file__).resolve().parent.parent / "events"


@pytest.fixture(scope="module")
def aws_mode() -> Iterator[HttpStack]:
    with http_stack(environ={"TRUST_CLIENT_IDENTITY": "false"}) as stack:
        yield stack


def event(
    name: str, *, sub: str | None, body: dict[str, Any] | None = None, **headers: Any
) -> dict[str, Any]:
    """A sample event from ``events/``, with the Cognito authorizer's ``sub`` (or no authorizer)."""
    sample = copy.deepcopy(json.loads((EVENTS / name).read_text()))
    if sub is None:
        sample["requestContext"].pop("authorizer", None)
    else:
        sample["requestContext"]["authorizer"]["claims"]["sub"] = sub
    if body is not None:
        sample["body"] = json.dumps(body)
    sample["headers"].update(headers)
    sample["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
    return sample


def invoke(stack: HttpStack, sample: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = stack.stack.functions["ApiFunction"].invoke(sample)
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(
    "name", ["api_chat.json", "api_sessions_list.json", "api_session_get.json", "api_session_delete.json"]
)
def test_without_an_authorizer_identity_every_user_route_is_401(aws_mode: HttpStack, name: str) -> None:
    sample = event(name, sub=None)
    sample["headers"]["X-User-Id"] = sample["multiValueHeaders"].setdefault("X-User-Id", ["u1"])[0]
    status, body = invoke(aws_mode, sample)
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_the_body_and_header_user_are_ignored_behind_the_authorizer(aws_mode: HttpStack) -> None:
    status, answer = invoke(
        aws_mode,
        event(
            "api_chat.json", sub="cognito-sub-1", body={"message": "Plan a trip to Porto", "sessionId": "p1"}
        ),
    )
    assert status == 200
    # someone else's token, claiming to be cognito-sub-1 in the body and the header: their own session
    status, other = invoke(
        aws_mode,
        event(
            "api_chat.json",
            sub="cognito-sub-2",
            body={"message": "what is my trip?", "sessionId": "p1", "userId": "cognito-sub-1"},
            **{"X-User-Id": "cognito-sub-1"},
        ),
    )
    assert status == 200 and "Porto" not in json.dumps(other)
    status, view = invoke(
        aws_mode,
        event("api_session_get.json", sub="cognito-sub-1")
        | {"path": "/sessions/p1", "pathParameters": {"session_id": "p1"}},
    )
    assert status == 200 and view["title"] == "Porto" and view["turns"][1]["content"] == answer["content"]
    status, view = invoke(
        aws_mode,
        event("api_session_get.json", sub="cognito-sub-2")
        | {"path": "/sessions/p1", "pathParameters": {"session_id": "p1"}},
    )
    assert status == 200 and view["turns"][0]["content"] == "what is my trip?"
    status, listed = invoke(aws_mode, event("api_sessions_list.json", sub="cognito-sub-3"))
    assert status == 200 and listed == {"sessions": []}
