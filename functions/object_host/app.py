"""ObjectHost function: runs one method on one durable object (stub calls, Step Functions tasks).

Errors propagate, so Lambda reports their class name as ``errorType`` (``ObjectBusy`` is retried by
the coordination state machine).
"""

from typing import Any

from aws_lambda_powertools import Logger

from durable_agents.runtime import default_env, lambda_invocation
from durable_agents.runtime.host import caller_deadline, host_call

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> Any:
    with lambda_invocation(context, caller_deadline_ms=caller_deadline(event)):
        return host_call(event, default_env())
