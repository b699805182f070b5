"""``python -m sandbox``: the Slack sandbox, configured from the environment (see README)."""

from __future__ import annotations

import logging
import signal
import sys
import threading

from sandbox.config import Config
from sandbox.server import Sandbox


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    config = Config.from_environment()
    # The app's configuration as Slack would hold it after installing the manifest.
    from slack.manifest import BOT_EVENTS, BOT_SCOPES

    sandbox = Sandbox(config, subscriptions=BOT_EVENTS, scopes=BOT_SCOPES)
    try:
        sandbox.serve()
    except OSError as error:
        raise SystemExit(
            f"The Slack sandbox cannot listen on {config.host}:{config.port} ({error.strerror}); "
            "set SANDBOX_PORT to a free port."
        ) from error
    print(
        f"Slack sandbox on {sandbox.config.public_url}/ (Web API at "
        f"{sandbox.config.public_url}/api/), delivering to {config.response_url}",
        flush=True,
    )
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    stopping.wait()
    sandbox.stop()  # saves the state one last time
    return 0


if __name__ == "__main__":
    sys.exit(main())
