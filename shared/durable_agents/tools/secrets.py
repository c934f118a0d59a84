"""The live tools' API keys: one SSM SecureString parameter holding a JSON object.

Keys the tools use (all optional; a missing one makes that tool fall back to its offline provider):
``amadeus_client_id``, ``amadeus_client_secret``, ``amadeus_base_url`` (default: the test environment),
``opentripmap_api_key``, ``brave_api_key``. Nothing is read from the environment; ``boto3`` is only
imported when a parameter is actually fetched.

A successful read is kept for the process's life; a failed one (SSM unreachable or throttled, no such
parameter, no permission, not a JSON object of strings) only for :data:`FAILURE_RETRY_SECONDS`, during
which the keyed tools answer offline without asking SSM again, and then it is read anew. The read is
short (it runs inside a tool's deadline) and one at a time: concurrent tools wait for the same answer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType

from pydantic import TypeAdapter, ValidationError

from .deadline import time_left

logger = logging.getLogger(__name__)

FAILURE_RETRY_SECONDS = 60.0
"""How long a failed read stands before the parameter is read again."""
READ_TIMEOUT_SECONDS = 2.0
"""The longest one SSM request may take (less when the tool's deadline is nearer)."""
NO_SECRETS: Mapping[str, str] = MappingProxyType({})
"""What a failed or absent parameter gives (always this object, so it can be told apart by identity)."""

_SECRETS = TypeAdapter(dict[str, str])


def fetch_tool_secrets(parameter_name: str) -> Mapping[str, str]:
    """The decrypted JSON object stored in ``parameter_name``; raises on any failure (not cached)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=1.0,
        read_timeout=max(0.1, time_left(READ_TIMEOUT_SECONDS)),
        retries={"mode": "standard", "total_max_attempts": 2},
    )
    client = boto3.session.Session().client("ssm", config=config)
    response = client.get_parameter(Name=parameter_name, WithDecryption=True)
    return MappingProxyType(_SECRETS.validate_python(json.loads(response["Parameter"]["Value"])))


class ToolSecrets:
    """Secrets by parameter name: successes kept, failures kept for ``retry_after`` seconds."""

    def __init__(
        self,
        fetch: Callable[[str], Mapping[str, str]] = fetch_tool_secrets,
        *,
        retry_after: float = FAILURE_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._retry_after = retry_after
        self._clock = clock
        self._lock = threading.Lock()
        self._found: dict[str, Mapping[str, str]] = {}
        self._failed_until: dict[str, float] = {}

    def get(self, parameter_name: str) -> Mapping[str, str]:
        """The keys in ``parameter_name``, or :data:`NO_SECRETS` (logged) when unset or unreadable."""
        if not parameter_name:
            return NO_SECRETS
        from botocore.exceptions import BotoCoreError, ClientError

        with self._lock:
            if parameter_name in self._found:
                return self._found[parameter_name]
            if self._clock() < self._failed_until.get(parameter_name, float("-inf")):
                return NO_SECRETS
            try:
                secrets = self._fetch(parameter_name)
            except (BotoCoreError, ClientError, ValueError, ValidationError) as error:
                self._failed_until[parameter_name] = self._clock() + self._retry_after
                logger.warning(
                    "tool secrets %s unavailable (%s); retrying in %gs",
                    parameter_name,
                    type(error).__name__,
                    self._retry_after,
                )
                return NO_SECRETS
            self._failed_until.pop(parameter_name, None)
            self._found[parameter_name] = secrets
            return secrets


_process_secrets = ToolSecrets()


def load_tool_secrets(parameter_name: str) -> Mapping[str, str]:
    """:meth:`ToolSecrets.get` of the process-wide cache."""
    return _process_secrets.get(parameter_name)
