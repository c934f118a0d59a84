"""The chat page served at ``GET /``: one self-contained HTML document, no build step, no network.

The page is written as three files beside this module (package data, shipped with the layer):
``index.html`` with three placeholders, ``style.css`` and ``app.js``. :func:`page_response` puts them
together: the stylesheet goes into ``<style>{{style.css}}</style>``, the script into
``<script>{{app.js}}</script>``, and the page's configuration into
``<script id="config" type="application/json">{{config}}</script>`` (a data block, never executed)::

    {"auth": null}                                            # local mode: the page sends X-User-Id
    {"auth": {"type": "cognito", "domain": "https://auth.example.com", "clientId": "..."}}

Inlining keeps the page to the one route and lets the Content-Security-Policy allow exactly this
script and this stylesheet by their SHA-256 hashes (no ``'unsafe-inline'``, nothing from another
origin, Trusted Types required, so an ``innerHTML`` assignment of a string throws). ``connect-src``
is the API's own origin plus, in Cognito mode, the hosted UI's origin (the token request).

Caching: ``Cache-Control: no-cache`` with a strong ``ETag`` over the whole document; a request whose
``If-None-Match`` names it gets ``304 Not Modified`` without a body.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import Response

from ..config import Settings

HTML = "text/html; charset=utf-8"
_STYLE, _SCRIPT, _CONFIG = "{{style.css}}", "{{app.js}}", "{{config}}"


@dataclass(frozen=True)
class Page:
    """The rendered document and the headers that go with it."""

    body: str
    etag: str
    headers: dict[str, str]


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page_config(cognito_domain: str, cognito_client_id: str, live_url: str = "") -> dict[str, Any]:
    """What the page needs to know about its deployment (see the module documentation); ``live``: the
    WebSocket API's URL in AWS (locally the page connects to ``/ws`` on its own origin)."""
    live = {"live": live_url} if live_url else {}
    if not cognito_domain:
        return {"auth": None, **live}
    return {"auth": {"type": "cognito", "domain": cognito_domain, "clientId": cognito_client_id}, **live}


def live_url(settings: Settings) -> str:
    """The ``wss://`` URL of the WebSocket API the page connects to in AWS (from its callback URL);
    empty locally (no user pool: the page uses ``/ws`` on its own origin)."""
    callback = settings.websocket_callback_url
    if not settings.cognito_domain or not callback.startswith("https://"):
        return ""
    return "wss://" + callback.removeprefix("https://")


def _json_data_block(value: dict[str, Any]) -> str:
    """JSON that cannot end its ``<script>`` element early, whatever the strings in it hold."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def render(cognito_domain: str, cognito_client_id: str, live: str = "") -> Page:
    """The page for one sign-in configuration (validated by :class:`Settings`; one per process: cached)
    and WebSocket URL (``live``, allowed in ``connect-src``)."""
    style, script, template = _read("style.css"), _read("app.js"), _read("index.html")
    for name, text, closing in (("style.css", style, "</style"), ("app.js", script, "</script")):
        if closing in text.lower():
            raise ValueError(f"{name} must not contain {closing!r}: it is inlined into the page")
    for placeholder in (_STYLE, _SCRIPT, _CONFIG):
        if template.count(placeholder) != 1:
            raise ValueError(f"index.html must contain {placeholder} exactly once")
    body = (
        template.replace(_STYLE, style)
        .replace(_SCRIPT, script)
        .replace(_CONFIG, _json_data_block(page_config(cognito_domain, cognito_client_id, live)))
    )
    live_origin = "/".join(live.split("/")[:3]) if live else ""
    connect = " ".join(
        ["'self'", *([cognito_domain] if cognito_domain else []), *([live_origin] if live else [])]
    )
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src {_csp_hash(script)}",
            f"style-src {_csp_hash(style)}",
            f"connect-src {connect}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return Page(body=body, etag=etag, headers=headers)


def page_response(settings: Settings, headers: dict[str, str] | None) -> Response[str]:
    """``GET /``: the page (200), or 304 when the caller's ``If-None-Match`` names the current one."""
    page = render(settings.cognito_domain, settings.cognito_client_id, live_url(settings))
    wanted = next((v for k, v in (headers or {}).items() if k.lower() == "if-none-match"), "")
    if page.etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")} or wanted.strip() == "*":
        return Response(status_code=304, headers=page.headers, body="")
    return Response(status_code=200, content_type=HTML, body=page.body, headers=page.headers)
