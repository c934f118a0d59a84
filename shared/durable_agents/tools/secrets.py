"""The live tools' API keys: one SSM SecureString parameter holding a JSON object, read once per process.

Keys the tools use (all optional; a missing one makes that tool fall back to its offline provider):
``amadeus_client_id``, ``amadeus_client_secret``, ``amadeus_base_url`` (default: the test environment),
``opentripmap_api_key``, ``brave_api_key``. Nothing is read from the environment; ``boto3`` is only
imported when a parameter is actually fetched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from pydantic import TypeAdapter, ValidationError

logger = logging.getLogger(__name__)

_SECRETS = TypeAdapter(dict[str, str])


@lru_cache(maxsize=4)
def fetch_tool_secrets(parameter_name: str) -> Mapping[str, str]:
    """The decrypted JSON object stored in ``parameter_name``; cached on success, raises on failure."""
    import boto3

    response = boto3.client("ssm").get_parameter(Name=parameter_name, WithDecryption=True)
    return MappingProxyType(_SECRETS.validate_python(json.loads(response["Parameter"]["Value"])))


def load_tool_secrets(parameter_name: str) -> Mapping[str, str]:
    """:func:`fetch_tool_secrets`, or an empty mapping (logged) when unset, unreadable or not valid JSON.

    A failure is not cached, so a later call retries; meanwhile the keyed tools answer offline.
    """
    if not parameter_name:
        return MappingProxyType({})
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return fetch_tool_secrets(parameter_name)
    except (BotoCoreError, ClientError, ValueError, ValidationError) as error:
        logger.warning("tool secrets %s unavailable: %s", parameter_name, type(error).__name__)
        return MappingProxyType({})
