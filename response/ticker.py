"""The local stand-in for the cron container: calls ``/slack/cron_minute`` every minute.

``make run`` starts it beside the web server; production uses ``cron/`` instead.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request

INTERVAL_SECONDS = 60


def tick(url: str, token: str) -> str:
    request = urllib.request.Request(  # noqa: S310 (our own server's URL)
        url, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.read().decode()


def main() -> int:
    url = os.environ["SITE_URL"].rstrip("/") + "/slack/cron_minute"
    token = os.environ["CRON_TOKEN"]
    time.sleep(5)  # let the web server start first
    while True:
        started = time.monotonic()
        try:
            print(f"cron_minute: {tick(url, token)}", flush=True)
        except (urllib.error.URLError, OSError) as error:
            # The web server may still be starting, or restarting: try again next minute.
            print(f"cron_minute: {url} did not answer ({error})", flush=True)
        time.sleep(max(INTERVAL_SECONDS - (time.monotonic() - started), 1))


if __name__ == "__main__":
    sys.exit(main())
