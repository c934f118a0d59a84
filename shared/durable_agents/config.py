"""Configuration: every environment variable the package reads, in one place.

``template.yaml`` sets these for every function (``Globals.Function.Environment``); the drift test
(``tests/test_bindings_drift.py``) fails when the code reads a variable the template does not set, or
the template declares a binding no class answers to. Read settings with :func:`settings`; never call
``os.environ`` elsewhere in the package.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

BINDING_PREFIX = "BINDING_"
"""``BINDING_<NAME>=<module>:<Class>`` declares a namespace binding, like a wrangler durable_objects entry."""

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class Settings(BaseModel):
    """The package's settings, each field named after its environment variable (lower-cased)."""

    model_config = ConfigDict(frozen=True)

    state_table: str = Field(description="DynamoDB table holding every object's state.")
    object_retention_days: str = Field(
        default="*=30",
        description="Idle time before an object expires, per binding: 'SESSION_MANAGER=90,*=30'.",
    )
    object_host_function: str = Field(
        default="",
        description="Function name/ARN that hosts objects for remote stub calls; empty = in-process calls.",
    )
    coordination_state_machine_arn: str = Field(
        default="", description="State machine that coordinate_agents starts; empty = coordinate in-process."
    )
    lease_seconds: float = Field(
        default=30.0, description="Lease length when there is no Lambda context to take a deadline from."
    )
    lease_margin_seconds: float = Field(default=2.0, description="Added to the invocation's deadline.")
    busy_wait_seconds: float = Field(
        default=3.0, description="How long a caller waits for a busy object before giving up with 'busy'."
    )
    session_idle_days: float = Field(
        default=7.0, description="Idle days after which a user's session expires."
    )
    llm_provider: Literal["embedded", "bedrock"] = Field(default="embedded")
    bedrock_model_id: str = Field(default="anthropic.claude-3-5-haiku-20241022-v1:0")
    tool_provider: Literal["offline", "live"] = Field(default="offline")
    tool_timeout_seconds: float = Field(default=4.0)
    tool_secrets_parameter: str = Field(
        default="", description="SSM SecureString parameter holding live tool API keys as JSON."
    )
    trust_client_identity: bool = Field(
        default=False,
        description=(
            "Take the caller from userId / X-User-Id when the request has no authorizer identity (the local "
            "stack only); false = such requests get 401."
        ),
    )
    idempotency_hours: str = Field(
        default="*=24",
        description="How long an idempotency key is honoured, per binding: 'CONVERSATION_MANAGER=48,*=24'.",
    )
    tracing_enabled: bool = Field(
        default=False,
        description=(
            "Trace the API handler with X-Ray (Powertools Tracer); false = nothing of X-Ray is imported."
        ),
    )
    scraper_allow_private_networks: bool = Field(
        default=False, description="Let the scraper fetch loopback/private addresses (tests only)."
    )
    cognito_domain: str = Field(
        default="",
        description="The host name of the user pool's hosted UI (myapp.auth.us-east-1.amazoncognito.com, "
        "auth.example.com, or an origin such as https://auth.example.com) the chat page signs in through; "
        "empty = local mode (X-User-Id).",
    )
    cognito_client_id: str = Field(
        default="",
        description="The user pool app client the chat page signs in with (authorization code + PKCE).",
    )
    cognito_issuer: str = Field(
        default="",
        description="The user pool's issuer URL (https://cognito-idp.<region>.amazonaws.com/<pool id>): "
        "the WebSocket authorizer accepts only id tokens it issued; empty = no sockets in AWS.",
    )
    websocket_callback_url: str = Field(
        default="",
        description="The WebSocket API stage's @connections callback URL objects post events to; "
        "empty = no live connections (events are not posted).",
    )

    @field_validator("cognito_domain")
    @classmethod
    def _cognito_origin(cls, value: str) -> str:
        """``auth.example.com`` -> ``https://auth.example.com``. Refused: anything but an origin (the value
        goes into the page's Content-Security-Policy) and a bare domain prefix (``myapp``: the ``Ref`` of
        an ``AWS::Cognito::UserPoolDomain``, not a host name)."""
        value = value.strip().rstrip("/")
        if value and "://" not in value:
            value = f"https://{value}"
        if value and not _ORIGIN.match(value):
            raise ValueError(
                "COGNITO_DOMAIN must be the hosted UI's full host name "
                "(myapp.auth.<region>.amazoncognito.com) or an origin (https://host[:port])"
            )
        return value

    @field_validator("cognito_client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        value = value.strip()
        if value and not _CLIENT_ID.match(value):
            raise ValueError("COGNITO_CLIENT_ID must be 1-128 letters, digits, '_' or '-'")
        return value

    @model_validator(mode="after")
    def _cognito_complete(self) -> Settings:
        if bool(self.cognito_domain) != bool(self.cognito_client_id):
            raise ValueError("COGNITO_DOMAIN and COGNITO_CLIENT_ID are set together or not at all")
        return self

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        values = {name: environ[name.upper()] for name in cls.model_fields if name.upper() in environ}
        return cls.model_validate(values)

    def retention_ms(self, binding: str) -> int:
        """Retention of ``binding``'s idle objects in milliseconds, from ``object_retention_days``."""
        return int(_per_binding(self.object_retention_days, binding, 30.0) * 86_400_000)

    def idempotency_seconds(self, binding: str) -> float:
        """How long a keyed call on a ``binding`` object is remembered, from ``idempotency_hours``."""
        return _per_binding(self.idempotency_hours, binding, 24.0) * 3600


def _per_binding(spec: str, binding: str, default: float) -> float:
    """The value for ``binding`` in a ``'NAME=value,*=value'`` setting (``*`` is every other binding)."""
    table: dict[str, float] = {}
    for part in spec.split(","):
        if "=" in part:
            key, _, value = part.partition("=")
            table[key.strip()] = float(value)
    return table.get(binding, table.get("*", default))


def environment_variable_names() -> set[str]:
    """Every environment variable :class:`Settings` reads (for the drift check)."""
    return {name.upper() for name in Settings.model_fields}


def binding_declarations(environ: Mapping[str, str]) -> dict[str, str]:
    """``{binding name: "module:Class"}`` from ``BINDING_*`` variables."""
    return {
        key[len(BINDING_PREFIX) :]: value
        for key, value in environ.items()
        if key.startswith(BINDING_PREFIX) and value
    }


def bindings() -> dict[str, str]:
    """The namespace bindings declared in this process's environment."""
    return binding_declarations(os.environ)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings of this process (read once; tests call ``settings.cache_clear()`` after changing env)."""
    return Settings.from_environ(os.environ)
