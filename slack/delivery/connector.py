"""How the job worker reaches PostgreSQL (installed by ``PROCRASTINATE_ON_APP_READY``).

A worker fetches and finishes jobs through its own asynchronous connection pool. A job that defers
another job, though, must do it on the job's own Django connection: only then is the new job part
of the job's transaction, committed with what the job wrote and rolled back with it. Out of the
box, procrastinate's worker connector defers on a separate connection, which would let a job that
failed half-way leave its follow-up jobs behind (a reply posted for a command that rolled back).
"""

from __future__ import annotations

from typing import Any

from procrastinate import psycopg_connector
from procrastinate.contrib.django import django_connector
from procrastinate.contrib.django import settings as procrastinate_settings
from procrastinate.contrib.django import utils as procrastinate_django_utils


class WorkerConnector(psycopg_connector.PsycopgConnector):
    """The worker's connector: its own pool for the worker, Django's connection for ``defer``."""

    def get_sync_connector(self) -> django_connector.DjangoConnector:
        return django_connector.DjangoConnector(
            alias=procrastinate_settings.settings.DATABASE_ALIAS
        )


class ResponseConnector(django_connector.DjangoConnector):
    """Django's connector in the web process, ``WorkerConnector`` for ``procrastinate worker``."""

    def get_worker_connector(self) -> WorkerConnector:
        alias = procrastinate_settings.settings.DATABASE_ALIAS
        return WorkerConnector(kwargs=procrastinate_django_utils.connector_params(alias))


def install(app: Any) -> None:
    """``PROCRASTINATE_ON_APP_READY`` hook: use ``ResponseConnector`` everywhere."""
    connector = ResponseConnector(alias=procrastinate_settings.settings.DATABASE_ALIAS)
    app.connector = connector
    app.job_manager.connector = connector
