"""``manage.py slack_socket``: receive Slack's deliveries over Socket Mode (SPEC §17).

Runs until stopped (Ctrl-C, SIGTERM). Several may run at once: Slack sends each envelope to one
connection, and de-duplication holds across processes as it does across web replicas.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from response.gc_tuning import freeze_what_is_loaded
from slack.socket_mode import connection


class Command(BaseCommand):
    help = "Receive Slack's events, commands and interactions over Socket Mode."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SLACK_TRANSPORT != "socket":
            raise CommandError(
                "SLACK_TRANSPORT is http: Slack sends to <SITE_URL>/slack/* and this process is "
                "not needed. Set SLACK_TRANSPORT=socket (and SLACK_APP_TOKEN) to use Socket Mode."
            )
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Socket Mode: connecting through {settings.SLACK_API_BASE_URL}")
        # Acknowledged within Slack's 3 s, as the web is: no full collection over start-up objects.
        freeze_what_is_loaded()
        try:
            connection.run(stop)
        except connection.SocketModeRefused as error:
            raise CommandError(str(error)) from error
