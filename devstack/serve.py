"""``python -m devstack.serve`` (``make run``): the whole stack on loopback, no AWS account, no Docker.

moto serves DynamoDB, Lambda and Step Functions (see :mod:`devstack.moto_stack`), created from
``template.yaml``; the API is served on ``http://127.0.0.1:$PORT`` (default 3000) by
:class:`devstack.gateway.ApiGateway`. Handlers run in this process with the template's environment,
fake credentials and ``AWS_ENDPOINT_URL`` pointing at moto, all set before any handler is imported.
Prints one ready line, then serves until Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from devstack.gateway import ApiGateway
from devstack.moto_stack import start_local_stack

LOGGER = logging.getLogger("devstack.serve")
DEFAULT_PORT = 3000


def main() -> int:
    """Run the local stack until interrupted; the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A failed task is logged by the handler already; moto's interpreter adds a dump of its parse tree.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    port = int(os.environ.get("PORT", str(DEFAULT_PORT)))

    stack = start_local_stack(server=True)
    try:
        os.environ.update(stack.environ)
        for function in stack.functions.values():
            if not function.spec.handler_file.is_file():
                LOGGER.warning("%s: %s does not exist yet; calls to it fail until it does",
                               function.spec.logical_id, function.spec.handler_file)
        try:
            gateway = ApiGateway.for_stack(stack, port=port).start()
        except OSError as error:
            print(f"cannot listen on 127.0.0.1:{port}: {error.strerror} (set PORT)", file=sys.stderr)
            return 1
        try:
            print(f"durable-agents local stack ready on {gateway.url} (moto on {stack.endpoint_url})",
                  flush=True)
            _wait_for_signal()
        finally:
            gateway.stop()
    finally:
        stack.stop()
    return 0


def _wait_for_signal() -> None:
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stopping.wait()


if __name__ == "__main__":
    sys.exit(main())
