"""The chat page as the API function serves it (``GET /``): the document, its CSP, its config, caching.

What the page does in a browser is tested in ``tests/browser/`` (headless Chromium); here, without a
browser: the sample event through the API's resolver, the hashes in the Content-Security-Policy
against the inlined script and stylesheet, the embedded config in both modes (and that no string in
it can end its ``<script>`` element), ``If-None-Match``, the two settings' validation, and that the
page's files are package data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from devstack.lambda_runtime import LambdaContext
from durable_agents.config import Settings, settings
from durable_agents.web import _json_data_block, page_config, render

EVENTS = Path(__file__).resolve().parent.parent / "events"


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The API's resolver (the route as the handler runs it, without the metrics flush), local mode."""
    monkeypatch.setenv("STATE_TABLE", "state-test")
    for name in ("COGNITO_DOMAIN", "COGNITO_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    from durable_agents.api.app import app

    yield app.resolve
    settings.cache_clear()


def invoke(handler: Any, **changes: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / "api_page.json").read_text())
    event.update(changes)
    context = LambdaContext(
        "durable-agents-api", 1024, "arn:aws:lambda:us-east-1:123456789012:function:api", 29
    )
    return handler(event, context)


def inline(body: str, tag: str) -> list[str]:
    """The text of every ``<tag>`` element without attributes (the inlined script and stylesheet)."""
    return re.findall(rf"<{tag}>(.*?)</{tag}>", body, flags=re.DOTALL)


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_the_sample_event_gets_the_page_with_a_strict_policy(handler: Any) -> None:
    response = invoke(handler)
    assert response["statusCode"] == 200
    headers = response["multiValueHeaders"] | {k: [v] for k, v in (response.get("headers") or {}).items()}
    one = {k: v[0] for k, v in headers.items()}
    assert one["Content-Type"] == "text/html; charset=utf-8"
    assert one["Cache-Control"] == "no-cache" and re.fullmatch(r'"[0-9a-f]{32}"', one["ETag"])
    assert one["X-Content-Type-Options"] == "nosniff" and one["Referrer-Policy"] == "no-referrer"
    body = response["body"]
    assert body.startswith("<!doctype html>") and "{{" not in body

    (script,) = inline(body, "script")
    (style,) = inline(body, "style")
    policy = directives(one["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [csp_hash(script)]
    assert policy["style-src"] == [csp_hash(style)]
    assert policy["connect-src"] == ["'self'"]
    assert policy["require-trusted-types-for"] == ["'script'"] and policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in one["Content-Security-Policy"]
    # nothing from elsewhere: no external script, stylesheet, font or image
    assert not re.search(r"""\s(src|href)=["']?(https?:)?//""", body)
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*stylesheet", body)

    config = re.search(r'<script id="config" type="application/json">(.*?)</script>', body, flags=re.DOTALL)
    assert config is not None and json.loads(config.group(1)) == {"auth": None}


def test_a_known_etag_gets_304_without_a_body(handler: Any) -> None:
    first = invoke(handler)
    etag = first["multiValueHeaders"].get("ETag", [None])[0] or first["headers"]["ETag"]
    event_headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "If-None-Match": f'W/{etag}, "x"'}
    again = invoke(
        handler, headers=event_headers, multiValueHeaders={k: [v] for k, v in event_headers.items()}
    )
    assert again["statusCode"] == 304 and again["body"] == ""
    other = {"If-None-Match": '"0123"'}
    assert (
        invoke(handler, headers=other, multiValueHeaders={k: [v] for k, v in other.items()})["statusCode"]
        == 200
    )


def test_other_methods_on_the_page_are_405(handler: Any) -> None:
    response = invoke(handler, httpMethod="POST", body="{}")
    assert response["statusCode"] == 405
    assert json.loads(response["body"])["error"]["code"] == "method_not_allowed"


def test_cognito_mode_embeds_the_hosted_ui_and_may_connect_to_it() -> None:
    configured = Settings(state_table="t", cognito_domain="auth.example.com", cognito_client_id="abc123")
    assert configured.cognito_domain == "https://auth.example.com"
    page = render(configured.cognito_domain, configured.cognito_client_id)
    config = re.search(
        r'<script id="config" type="application/json">(.*?)</script>', page.body, flags=re.DOTALL
    )
    assert config is not None
    assert json.loads(config.group(1)) == {
        "auth": {"type": "cognito", "domain": "https://auth.example.com", "clientId": "abc123"}
    }
    assert directives(page.headers["Content-Security-Policy"])["connect-src"] == [
        "'self'",
        "https://auth.example.com",
    ]
    assert page.etag != render("", "").etag


def test_no_string_in_the_config_can_end_its_script_element() -> None:
    hostile = {"auth": {"domain": "</script><script>alert(1)</script>", "clientId": "<!-- & -->"}}
    block = _json_data_block(hostile)
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block) == hostile
    assert page_config("", "") == {"auth": None}


@pytest.mark.parametrize(
    "domain, client_id",
    [
        ("auth.example.com", ""),  # one without the other
        ("", "abc123"),
        ("auth.example.com; script-src *", "abc123"),  # would inject a CSP directive
        ("https://auth.example.com/login", "abc123"),  # a path, not an origin
        ("javascript:alert(1)", "abc123"),
        ("myapp", "abc123"),  # a UserPoolDomain's Ref (the prefix), not the hosted UI's host name
        ("auth.example.com", "abc 123"),
        ("auth.example.com", "a" * 129),
    ],
)
def test_bad_sign_in_settings_are_refused(domain: str, client_id: str) -> None:
    with pytest.raises(ValidationError):
        Settings(state_table="t", cognito_domain=domain, cognito_client_id=client_id)


def test_settings_accept_a_host_or_an_origin() -> None:
    for value, expected in [
        ("auth.example.com", "https://auth.example.com"),
        ("myapp.auth.eu-west-1.amazoncognito.com", "https://myapp.auth.eu-west-1.amazoncognito.com"),
        ("https://auth.example.com/", "https://auth.example.com"),
        (" http://127.0.0.1:8421 ", "http://127.0.0.1:8421"),
    ]:
        assert (
            Settings(state_table="t", cognito_domain=value, cognito_client_id="c").cognito_domain == expected
        )
    assert Settings(state_table="t").cognito_domain == ""


def test_the_page_files_are_package_data_and_set_no_html_from_strings() -> None:
    folder = resources.files("durable_agents.web")
    names = {entry.name for entry in folder.iterdir()}
    assert {"__init__.py", "index.html", "app.js", "style.css"} <= names
    script = folder.joinpath("app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    style = folder.joinpath("style.css").read_text()
    assert "@import" not in style and "url(" not in style
