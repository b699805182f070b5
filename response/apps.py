"""The project's own app: its system checks (response/checks.py), and times read from the
database by psycopg's compiled loader (response/db_times.py)."""

from __future__ import annotations

from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "response"
    verbose_name = "Response"

    def ready(self) -> None:
        from response import (
            checks,  # noqa: F401 (importing registers the checks)
            db_times,
        )

        db_times.install()
