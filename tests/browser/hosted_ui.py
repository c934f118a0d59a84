"""A stand-in for a Cognito user pool's hosted UI on loopback: ``/oauth2/authorize`` and ``/oauth2/token``.

``GET /oauth2/authorize`` checks the client, the redirect URI and the PKCE challenge method (S256),
signs the user in at once (no form) and redirects back with a one-time ``code`` and the caller's
``state``. ``POST /oauth2/token`` redeems the code only with the same client and redirect URI and a
``code_verifier`` whose SHA-256 is the challenge, and answers an id token (a JWT whose signature is
not checked by anyone here) with CORS allowed for the page's origin, as Cognito's token endpoint does.
:meth:`HostedUi.user_of` is what the API's authorizer would say of a bearer token; :meth:`revoke_all`
makes every issued token invalid (the next API call answers 401).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "pagetestclient"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def id_token(sub: str, email: str, lifetime: float = 3600) -> str:
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    claims = {
        "sub": sub,
        "email": email,
        "token_use": "id",
        "aud": CLIENT_ID,
        "exp": int(time.time() + lifetime),
    }
    return f"{header}.{_b64url(json.dumps(claims).encode())}.{_b64url(b'unsigned')}"


@dataclass(frozen=True)
class Grant:
    challenge: str
    redirect_uri: str


class HostedUi:
    def __init__(self, *, redirect_uri: str | None = None, sub: str = "cognito-user-1") -> None:
        self.redirect_uri = redirect_uri
        self.sub = sub
        self.authorizations: list[dict[str, str]] = []
        self.redemptions: list[dict[str, str]] = []
        self._grants: dict[str, Grant] = {}
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> HostedUi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def user_of(self, authorization: str | None) -> str | None:
        token = (authorization or "").removeprefix("Bearer ")
        with self._lock:
            return self.sub if token in self._tokens else None

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.authorizations.append(query)
        expected = {"response_type": "code", "client_id": CLIENT_ID, "code_challenge_method": "S256"}
        if (
            any(query.get(k) != v for k, v in expected.items())
            or "openid" not in query.get("scope", "").split()
        ):
            return 400, {}, b"bad authorization request"
        if self.redirect_uri is not None and query.get("redirect_uri") != self.redirect_uri:
            return 400, {}, b"redirect_uri is not registered"
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._grants[code] = Grant(query.get("code_challenge", ""), query.get("redirect_uri", ""))
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return 302, {"Location": location}, b""

    def _token(self, form: dict[str, str], origin: str | None) -> tuple[int, dict[str, str], bytes]:
        cors = {"Access-Control-Allow-Origin": origin or "*", "Content-Type": "application/json"}
        with self._lock:
            self.redemptions.append(form)
            grant = self._grants.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        valid = (
            grant is not None
            and form.get("grant_type") == "authorization_code"
            and form.get("client_id") == CLIENT_ID
            and form.get("redirect_uri") == grant.redirect_uri
            and _b64url(hashlib.sha256(verifier.encode()).digest()) == grant.challenge
        )
        if not valid:
            return 400, cors, json.dumps({"error": "invalid_grant"}).encode()
        token = id_token(self.sub, "traveller@example.com")
        with self._lock:
            self._tokens.add(token)
        body = {"id_token": token, "access_token": "unused", "token_type": "Bearer", "expires_in": 3600}
        return 200, cors, json.dumps(body).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        ui = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != "/oauth2/authorize":
                    return self._answer(404, {}, b"")
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                self._answer(*ui._authorize(query))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/oauth2/token":
                    return self._answer(404, {}, b"")
                self._answer(*ui._token(form, self.headers.get("Origin")))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler
