"""X-Ray tracing of the API handler, built only when the deployment turns it on (``TRACING_ENABLED``).

With tracing off nothing of the X-Ray SDK is imported and no Powertools ``Tracer`` exists: the handler
runs as it is. With it on, a trace of one request holds the handler's segment (Powertools' cold-start
annotation and service name) and a subsegment per AWS call, from botocore only: the operation and its
whitelisted names (the object host's function name, a table's name), never a payload. The handler's
response and errors are not recorded (they carry chat text), and no other library is patched (an HTTP
call's URL can hold a user's search query).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

PATCHED_MODULES = ("botocore",)


def traced(handler: Handler) -> Handler:
    """``handler`` inside a Powertools Tracer segment (which imports the X-Ray SDK, here and only here)."""
    from aws_lambda_powertools import Tracer

    tracer = Tracer(patch_modules=PATCHED_MODULES)
    wrapped: Handler = tracer.capture_lambda_handler(handler, capture_response=False, capture_error=False)
    return wrapped
