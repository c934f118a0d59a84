"""The WebSocket API's ``$connect`` authorizer: a Lambda REQUEST authorizer verifying the user pool's JWT.

Browsers cannot set headers on a WebSocket, so the page sends its Cognito **id token in the query
string** (``wss://<api>/<stage>?token=<JWT>``; the stage's access logs do not record query strings).
The token is verified here without any library beyond the standard one:

* the header is ``{"alg": "RS256", "kid": ...}`` and ``kid`` is one of the pool's keys (its JWKS,
  ``<issuer>/.well-known/jwks.json``, fetched once per process and again for an unknown ``kid``);
* the RS256 signature checks out (RSASSA-PKCS1-v1_5 with SHA-256: ``sig^e mod n`` is the padded
  DigestInfo of the signed part's hash);
* ``iss`` is the pool (:attr:`~durable_agents.config.Settings.cognito_issuer`), ``token_use`` is
  ``id``, ``aud`` is the app client (``COGNITO_CLIENT_ID``), ``exp`` is in the future (``nbf``/``iat``
  not ahead of now, 60 s of skew allowed).

Allowed: an IAM policy allowing ``execute-api:Invoke`` on the ``$connect`` route, ``principalId`` the
token's ``sub`` (API Gateway hands it to every event of the connection as
``requestContext.authorizer.principalId``). Anything else: ``Unauthorized`` (API Gateway answers 401).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.request
from typing import Any

from ..config import settings

logger = logging.getLogger(__name__)

_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_SKEW_SECONDS = 60
_MAX_TOKEN_CHARS = 8192
_keys: dict[str, tuple[int, int]] = {}
_keys_lock = threading.Lock()


class InvalidToken(Exception):
    """The token is not one this pool issued to this client, or it expired."""


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _int(part: str) -> int:
    return int.from_bytes(_b64(part), "big")


def fetch_keys(issuer: str) -> dict[str, tuple[int, int]]:
    """The pool's RSA public keys by ``kid``: ``(n, e)``.

    Args:
        issuer: the pool's issuer URL.

    Returns:
        the keys.
    """
    with urllib.request.urlopen(f"{issuer}/.well-known/jwks.json", timeout=3) as response:  # noqa: S310
        document = json.loads(response.read())
    return {
        key["kid"]: (_int(key["n"]), _int(key["e"]))
        for key in document.get("keys", [])
        if key.get("kty") == "RSA" and "kid" in key
    }


def _key(issuer: str, kid: str) -> tuple[int, int]:
    with _keys_lock:
        if kid not in _keys:
            _keys.update(fetch_keys(issuer))
        if kid not in _keys:
            raise InvalidToken("unknown signing key")
        return _keys[kid]


def rs256_valid(signed: bytes, signature: bytes, key: tuple[int, int]) -> bool:
    """Whether ``signature`` is an RSASSA-PKCS1-v1_5 SHA-256 signature of ``signed`` under ``key``.

    Args:
        signed: the signed bytes (``header.payload``).
        signature: the signature.
        key: ``(n, e)``.

    Returns:
        whether it verifies.
    """
    n, e = key
    size = (n.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= n:
        return False
    decoded = pow(value, e, n).to_bytes(size, "big")
    digest = _SHA256_DIGEST_INFO + hashlib.sha256(signed).digest()
    padding = size - len(digest) - 3
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest
    return hmac.compare_digest(decoded, expected)


def verify(token: str, *, issuer: str, client_id: str, now: float | None = None) -> dict[str, Any]:
    """The claims of ``token`` once verified (see the module documentation).

    Args:
        token: the JWT.
        issuer: the pool's issuer URL.
        client_id: the app client the token must be for.
        now: the time (epoch seconds); the current time by default.

    Returns:
        the claims.

    Raises:
        InvalidToken: anything wrong with it.
    """
    if not issuer or not client_id:
        raise InvalidToken("no user pool is configured")
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:
        raise InvalidToken("not a JWT")
    header_part, payload_part, signature_part = token.split(".")
    try:
        header = json.loads(_b64(header_part))
        claims = json.loads(_b64(payload_part))
        signature = _b64(signature_part)
    except ValueError:
        raise InvalidToken("not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("not a JWT")
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise InvalidToken("only RS256 tokens with a key id are accepted")
    key = _key(issuer, header["kid"])
    if not rs256_valid(f"{header_part}.{payload_part}".encode(), signature, key):
        raise InvalidToken("bad signature")
    moment = time.time() if now is None else now
    if claims.get("iss") != issuer or claims.get("token_use") != "id" or claims.get("aud") != client_id:
        raise InvalidToken("not an id token of this pool and client")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= moment - _SKEW_SECONDS:
        raise InvalidToken("expired")
    for name in ("nbf", "iat"):
        if isinstance(claims.get(name), (int, float)) and claims[name] > moment + _SKEW_SECONDS:
            raise InvalidToken(f"{name} is in the future")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("no subject")
    return claims


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: an Allow policy for a valid token, else ``Unauthorized``.

    Args:
        event: API Gateway's REQUEST authorizer event.
        context: the Lambda context.

    Returns:
        the policy.

    Raises:
        Exception: ``Unauthorized`` (API Gateway's convention for 401).
    """
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    config = settings()
    try:
        claims = verify(token, issuer=config.cognito_issuer, client_id=config.cognito_client_id)
    except InvalidToken as error:
        logger.info("refused a connection: %s", error)
        raise Exception("Unauthorized") from None  # noqa: TRY002 - the exact message API Gateway expects
    return {
        "principalId": claims["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            ],
        },
        "context": {"sub": claims["sub"]},
    }
