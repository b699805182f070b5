"""Holding the Socket Mode connection with slack_sdk's built-in client.

The client does the connection's work: ``apps.connections.open`` with the app-level token for a
WebSocket URL (from ``SLACK_API_BASE_URL``, so the sandbox's Socket Mode is used against the
sandbox), pings, and a new connection when Slack sends ``disconnect`` or the connection drops.
This module builds it from settings, keeps trying while Slack cannot be reached at start, and
closes it cleanly, letting modals opened just after an answer finish first.
"""

from __future__ import annotations

import logging
import threading
from urllib.error import URLError

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient

from slack.incoming import after_response
from slack.socket_mode.listener import listen
from slack.web_api.client import is_loopback

logger = logging.getLogger(__name__)

# Envelopes handled at once, as many as web threads answer requests (gunicorn_conf.py).
CONCURRENCY = 10
# Seconds between pings. slack_sdk's client takes a connection for dropped only when four pings
# go unanswered (or five fail), so this is what bounds how long a cut connection goes unnoticed:
# at its default of 5 s, 20 s or more of deliveries go unanswered (seen in the fault drill).
PING_INTERVAL = 2.0
# Waits between attempts to reach Slack at start (the sandbox may still be starting).
FIRST_RETRY_WAIT, LONGEST_RETRY_WAIT = 0.5, 10.0
# Refusals of apps.connections.open that no retry fixes, with what to do about them.
FIXES = {
    "invalid_auth": "SLACK_APP_TOKEN is not a valid app-level token: make a new one on your "
    "Slack app's 'Basic Information' page, under 'App-Level Tokens'.",
    "not_allowed_token_type": "SLACK_APP_TOKEN must be an app-level token (xapp-…), not a bot "
    "or user token.",
    "missing_scope": "The app-level token needs the connections:write scope: add it under "
    "'App-Level Tokens' on your Slack app's 'Basic Information' page.",
    "not_authed": "SLACK_APP_TOKEN is empty.",
}


class SocketModeRefused(Exception):
    """Slack refused the app-level token; the message says what to fix."""


def build_client(*, ping_interval: float = PING_INTERVAL) -> SocketModeClient:
    """A client for the current settings, with Response's listener attached."""
    base_url = settings.SLACK_API_BASE_URL
    web = WebClient(
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        # apps.connections.open: a hung call must not hold up the reconnect.
        timeout=max(1, round(settings.SLACK_API_TIMEOUT)),
    )
    client = SocketModeClient(
        app_token=settings.SLACK_APP_TOKEN,
        web_client=web,
        auto_reconnect_enabled=True,
        ping_interval=ping_interval,
        concurrency=CONCURRENCY,
        logger=logging.getLogger("slack.socket_mode.client"),
    )
    if is_loopback(base_url):
        # A proxy from HTTP(S)_PROXY cannot reach this machine's sandbox.
        web.proxy = None
        client.proxy = None
    client.socket_mode_request_listeners.append(listen)
    return client


def run(stop: threading.Event, client: SocketModeClient | None = None) -> None:
    """Connect, answer envelopes until ``stop`` is set, then close the connection."""
    client = client or build_client()
    try:
        if not _connect(client, stop):
            return
        logger.info("connected to Slack over Socket Mode")
        stop.wait()
    finally:
        client.close()
        after_response.wait_idle()
        logger.info("Socket Mode connection closed")


def _connect(client: SocketModeClient, stop: threading.Event) -> bool:
    """Connect, waiting longer each time Slack cannot be reached; False if stopped first."""
    wait = FIRST_RETRY_WAIT
    while not stop.is_set():
        try:
            client.connect()
            return True
        except SlackApiError as error:
            code = str(error.response.get("error", ""))
            if code in FIXES:
                raise SocketModeRefused(
                    f"Slack refused the Socket Mode connection ({code}). {FIXES[code]}"
                ) from error
            logger.warning("apps.connections.open failed (%s); trying again in %ss", code, wait)
        except (URLError, OSError) as error:
            logger.warning("cannot reach Slack (%s); trying again in %ss", error, wait)
        stop.wait(wait)
        wait = min(wait * 2, LONGEST_RETRY_WAIT)
    return False
