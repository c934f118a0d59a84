"""AlarmSweeper function: every minute, fires the objects' alarms as they fall due (see runtime/alarms.py)."""

from typing import Any

from aws_lambda_powertools import Logger

from durable_agents.runtime import default_env, lambda_invocation
from durable_agents.runtime.alarms import sweep_this_minute

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    with lambda_invocation(context):
        fired = sweep_this_minute(default_env())
    logger.info("alarms fired", extra={"fired": fired})
    return {"fired": fired}
