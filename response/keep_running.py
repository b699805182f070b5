"""Run a command, and again whenever it fails: a restart policy for ``make run``'s worker.

``make run`` supervises its processes with honcho, which stops them all as soon as one exits.
The job worker exits by design when its own bookkeeping loses the database (a restart of the
server, a cut connection); in production the compose file's ``restart: unless-stopped`` starts it
again, and locally this does:

    python -m response.keep_running python manage.py procrastinate worker

A clean exit (status 0) ends it. SIGINT and SIGTERM are passed to the command, and then it ends
with the command's status instead of starting it again.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

RESTART_DELAY_SECONDS = 1.0


def keep_running(argv: list[str], *, delay: float = RESTART_DELAY_SECONDS) -> int:
    """Run ``argv`` until it exits cleanly or is told to stop; returns its last status."""
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        child = subprocess.Popen(argv)
        status = child.wait()
        if stopping or status == 0:
            return status
        print(
            f"{' '.join(argv)} exited with status {status}; starting it again",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(delay)
        if stopping:
            return status


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: python -m response.keep_running COMMAND [ARG ...]", file=sys.stderr)
        return 2
    status = keep_running(sys.argv[1:])
    # A command ended by a signal is reported the way shells do: 128 + the signal's number.
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    sys.exit(main())
