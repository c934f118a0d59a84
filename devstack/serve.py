"""``python -m devstack.serve`` (``make run``): the whole stack on loopback, no AWS account, no Docker.

moto serves DynamoDB, Lambda and Step Functions (see :mod:`devstack.moto_stack`), created from
``template.yaml``; the API is served on ``http://127.0.0.1:$PORT`` (default 3000) by
:class:`devstack.gateway.ApiGateway`. Handlers run in this process with the template's environment,
fake credentials and ``AWS_ENDPOINT_URL`` pointing at moto, all set before any handler is imported.

The tables live in a data folder (``.devstack/``, or ``$DEVSTACK_DATA``; see
:mod:`devstack.persistence`): restored at start, saved while serving and at the end. ``RESET=1``
starts with empty tables. Prints the ready line, then where the data lives, then serves until Ctrl-C
(SIGINT) or SIGTERM. Exits 1, saying why on stderr, when the port or the data folder is taken or the
snapshot cannot be used.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
from types import FrameType

from devstack.alarm_clock import AlarmClock
from devstack.gateway import ApiGateway
from devstack.moto_stack import start_local_stack
from devstack.persistence import DataFolder, DataFolderBusy, TablePersistence, reset_requested
from devstack.snapshot import SnapshotError

LOGGER = logging.getLogger("devstack.serve")
DEFAULT_PORT = 3000
STOP_SECONDS = 20
"""A shutdown still running after this long prints every thread's traceback to stderr."""


def main() -> int:
    """Run the local stack until interrupted; the process exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A failed task is logged by the handler already; moto's interpreter adds a dump of its parse tree.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    port = int(os.environ.get("PORT", str(DEFAULT_PORT)))
    stopping = _stop_on_signals()

    folder = DataFolder.from_environ()
    try:
        folder.lock()
    except DataFolderBusy as error:
        print(error, file=sys.stderr)
        return 1
    try:
        reset = reset_requested()
        if reset:
            folder.reset()
        return _serve(port, folder, stopping, reset=reset)
    finally:
        folder.unlock()


def _serve(port: int, folder: DataFolder, stopping: threading.Event, *, reset: bool) -> int:
    stack = start_local_stack(server=True)
    try:
        persistence = TablePersistence(stack, folder)
        try:
            restored = persistence.restore()
        except SnapshotError as error:
            print(
                f"cannot restore the local stack's tables: {error}\n"
                "The file is left as it is: move it away to keep it, or start empty with RESET=1 make run "
                "(or make reset).",
                file=sys.stderr,
            )
            return 1
        os.environ.update(stack.environ)
        for function in stack.functions.values():
            if not function.spec.handler_file.is_file():
                LOGGER.warning(
                    "%s: %s does not exist yet; calls to it fail until it does",
                    function.spec.logical_id,
                    function.spec.handler_file,
                )
        try:
            gateway = ApiGateway.for_stack(stack, port=port).start()
        except OSError as error:
            print(f"cannot listen on 127.0.0.1:{port}: {error.strerror} (set PORT)", file=sys.stderr)
            return 1
        persistence.start()
        alarms = AlarmClock.for_stack(stack).start()
        try:
            print(
                f"durable-agents local stack ready on {gateway.url} (moto on {stack.endpoint_url})",
                flush=True,
            )
            state = "started empty: RESET" if reset else f"{restored} items restored"
            print(
                f"data in {folder.path}/ ({state}; RESET=1 make run or make reset to start empty)", flush=True
            )
            print(
                "no authorizer here: the API trusts userId / X-User-Id to say who is calling "
                "(TRUST_CLIENT_IDENTITY=true; in AWS only the Cognito authorizer's identity counts)",
                flush=True,
            )
            while not stopping.wait(0.5):
                pass  # wakes twice a second, so a signal taken by another thread is seen too
            faulthandler.dump_traceback_later(STOP_SECONDS)  # a shutdown that hangs says where
        finally:
            alarms.stop()
            gateway.stop()
            persistence.close()
            LOGGER.info("tables saved to %s", persistence.path)
    finally:
        stack.stop()
        faulthandler.cancel_dump_traceback_later()
    return 0


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT (Ctrl-C) or SIGTERM, from now on."""
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stopping


if __name__ == "__main__":
    sys.exit(main())
