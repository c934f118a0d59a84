"""AWS clients, created once per process on first use (boto3 is imported lazily).

Standard retry mode with short timeouts: a turn holds a lease, so a hung connection must fail fast.
``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>`` (read by botocore itself) point them at the local
stack.
"""

from __future__ import annotations

from functools import cache
from typing import Any


def client_config(*, read_timeout: float = 5.0, max_attempts: int = 4) -> Any:
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=2,
        read_timeout=read_timeout,
        tcp_keepalive=True,
        max_pool_connections=64,
    )


@cache
def client(service: str, *, read_timeout: float = 5.0) -> Any:
    """The process-wide client of ``service`` (``dynamodb``, ``lambda``, ``stepfunctions``, ...)."""
    import boto3

    return boto3.session.Session().client(service, config=client_config(read_timeout=read_timeout))
