"""Reaper function: deletes what expired or wiped objects left behind (from the table's stream)."""

from typing import Any

from aws_lambda_powertools import Logger

from durable_agents.runtime import default_env
from durable_agents.runtime.reaper import reap

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = reap(event.get("Records", []), default_env().table)
    logger.info("reaped", extra={"deleted": report.deleted, "failed": len(report.failed)})
    return report.batch_response()
