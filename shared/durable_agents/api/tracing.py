"""X-Ray tracing of the API handler, built only when the deployment turns it on (``TRACING_ENABLED``).

With tracing off nothing of the X-Ray SDK is imported and no Powertools ``Tracer`` exists: the handler
runs as it is. With it on, a trace of one request holds the handler's subsegment (Powertools' cold-start
and service annotations, and an ``Error`` annotation naming the exception's type when one escaped) and a
subsegment per AWS call, from botocore only: the operation and its whitelisted names (the object host's
function name, a table's name), never a payload. Not recorded: the handler's response, and the message
and stack of an exception (both can carry chat text), nor any other library's calls (an HTTP call's URL
can hold a user's search query).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

PATCHED_MODULES = ("botocore",)


class _Outcome(NamedTuple):
    result: Any
    error: Exception | None


def traced(handler: Handler) -> Handler:
    """``handler`` inside a Powertools Tracer subsegment (which imports the X-Ray SDK, here and only here)."""
    from aws_lambda_powertools import Tracer

    tracer = Tracer(patch_modules=PATCHED_MODULES)

    @functools.wraps(handler)
    def contained(event: dict[str, Any], context: Any) -> _Outcome:
        """What the subsegment sees: an exception comes out as a value, so the SDK records none of it."""
        try:
            return _Outcome(handler(event, context), None)
        except Exception as error:
            tracer.put_annotation("Error", type(error).__name__)
            return _Outcome(None, error)

    captured = tracer.capture_lambda_handler(contained, capture_response=False, capture_error=False)

    @functools.wraps(handler)
    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        outcome: _Outcome = captured(event, context)
        if outcome.error is not None:
            raise outcome.error
        result: dict[str, Any] = outcome.result
        return result

    return run
