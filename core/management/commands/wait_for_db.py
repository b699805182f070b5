"""``manage.py wait_for_db``: block until the database accepts connections.

Containers start in any order; ``startup.sh`` runs this before migrating or starting a server so
that a database still booting is waited for rather than reported as a crash.
"""

from __future__ import annotations

import math
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import Error as DatabaseError


class Command(BaseCommand):
    help = "Wait until the database accepts connections, retrying every second."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=60,
            help="Seconds to keep trying before giving up (default: 60).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1,
            help="Seconds between attempts (default: 1).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help='The database alias to wait for (default: "default").',
        )

    def handle(self, *args, timeout: float, interval: float, database: str, **options) -> None:
        connection = connections[database]
        # Without a connect timeout an unroutable host hangs for minutes, past --timeout.
        connection.settings_dict.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", max(1, math.ceil(min(timeout, 10)))
        )
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                connection.ensure_connection()
            except DatabaseError as error:
                # A half-opened connection must not be reused by the next attempt.
                connection.close()
                reason = " ".join(str(error).split()) or error.__class__.__name__
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CommandError(
                        f"Database {database!r} did not answer within {timeout:g}s "
                        f"({attempt} attempts). Last error: {reason}"
                    ) from error
                self.stderr.write(f"Database not ready (attempt {attempt}): {reason}")
                time.sleep(min(interval, remaining))
                continue
            self.stdout.write(f"Database {database!r} is ready (attempt {attempt}).")
            return
