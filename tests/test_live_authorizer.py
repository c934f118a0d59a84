"""The WebSocket authorizer (api/authorizer.py): a Cognito id token of this pool and client, signed
with one of the pool's keys and not expired, is allowed with its ``sub``; anything else is refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from durable_agents.api import authorizer

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"
CLIENT = "client123"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims: dict[str, Any], *, key: Any = KEY, kid: str = "k1", alg: str = "RS256") -> str:
    head = _b64(json.dumps({"alg": alg, "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{_b64(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"sub": "user-1", "iss": ISSUER, "aud": CLIENT, "token_use": "id", "exp": now + 600, "iat": now}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


@pytest.fixture(autouse=True)
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    numbers = KEY.public_key().public_numbers()
    monkeypatch.setattr(authorizer, "fetch_keys", lambda issuer: {"k1": (numbers.n, numbers.e)})
    authorizer._keys.clear()
    monkeypatch.setenv("COGNITO_ISSUER", ISSUER)
    monkeypatch.setenv("COGNITO_CLIENT_ID", CLIENT)
    monkeypatch.setenv("COGNITO_DOMAIN", "auth.example.com")
    monkeypatch.setenv("STATE_TABLE", "t")
    from durable_agents.config import settings

    settings.cache_clear()
    yield
    settings.cache_clear()
    authorizer._keys.clear()


def event(value: str | None) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/dev/$connect",
        "queryStringParameters": {"token": value} if value is not None else None,
    }


def test_a_valid_id_token_is_allowed_with_its_sub() -> None:
    policy = authorizer.handler(event(token(claims())), None)
    assert policy["principalId"] == "user-1"
    (statement,) = policy["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:api/dev/$connect",
    }


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not-a-jwt",
        token(claims(), key=OTHER),
        token(claims(), kid="unknown"),
        token(claims(), alg="HS256"),
        token(claims(exp=int(time.time()) - 3600)),
        token(claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")),
        token(claims(aud="another-client")),
        token(claims(token_use="access")),
        token(claims(sub=None)),
        token(claims(nbf=int(time.time()) + 3600)),
        token(claims())[:-4] + "AAAA",
        "a." * 5000,
    ],
    ids=[
        "no token",
        "empty",
        "not a JWT",
        "another key",
        "unknown kid",
        "HS256",
        "expired",
        "another pool",
        "another client",
        "access token",
        "no sub",
        "not yet valid",
        "tampered signature",
        "huge",
    ],
)
def test_anything_else_is_unauthorized(value: str | None) -> None:
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler(event(value), None)
