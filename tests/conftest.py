from __future__ import annotations

import pytest
from django.db import connection

from tests.helpers import run_jobs


def _empty_job_queue() -> None:
    # procrastinate's tables are not managed by Django, so the flush between transactional
    # tests leaves their rows behind; start each test that runs jobs from an empty queue.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def jobs(transactional_db):
    """Runs queued jobs in a worker; the test's data is committed so the worker can see it."""
    _empty_job_queue()
    yield run_jobs
    _empty_job_queue()
