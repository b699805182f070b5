"""Helpers shared by the tests: signed Slack requests, payload fixtures, running queued jobs."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django import app as procrastinate_app
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.periodic import PeriodicRegistry

from slack.incoming.signature import compute_signature

FIXTURES = Path(__file__).parent / "slack" / "fixtures"


def load_fixture(name: str) -> Any:
    """A captured Slack payload from ``tests/slack/fixtures/<name>.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def signed_headers(body: bytes, *, timestamp: str | None = None, secret: str | None = None):
    """The headers Slack would send with this body, as Django test-client kwargs."""
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    signature = compute_signature(
        secret=secret if secret is not None else settings.SLACK_SIGNING_SECRET,
        timestamp=timestamp,
        body=body,
    )
    return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp, "HTTP_X_SLACK_SIGNATURE": signature}


def post_to_slack_endpoint(
    client: Client,
    path: str,
    body: bytes,
    content_type: str,
    *,
    headers: dict[str, str] | None = None,
    **signing: Any,
):
    """POST ``body`` to ``path`` signed as Slack signs it (``signing``: timestamp, secret)."""
    extra = signed_headers(body, **signing)
    extra.update(headers or {})
    return client.generic("POST", path, body, content_type=content_type, **extra)


def post_event(client: Client, envelope: dict[str, Any], **kwargs: Any):
    body = json.dumps(envelope).encode()
    return post_to_slack_endpoint(client, "/slack/event", body, "application/json", **kwargs)


def post_form(client: Client, path: str, fields: dict[str, str], **kwargs: Any):
    body = urlencode(fields).encode()
    return post_to_slack_endpoint(client, path, body, "application/x-www-form-urlencoded", **kwargs)


def post_interaction(client: Client, payload: dict[str, Any], **kwargs: Any):
    return post_form(client, "/slack/action", {"payload": json.dumps(payload)}, **kwargs)


def run_jobs(*, queues: list[str] | None = None, concurrency: int = 1) -> None:
    """Run the worker until no job is ready, as ``manage.py procrastinate worker`` would.

    Needs committed data: use it from ``transactional_db`` tests.
    """
    worker_connector = procrastinate_app.connector.get_worker_connector()
    with (
        procrastinate_app.replace_connector(worker_connector) as worker_app,
        _without_periodic_tasks(worker_app),
    ):
        # A worker that does not wait stops as soon as it finds nothing it may run, which
        # happens while a job holds the lock of the next ones: run it again until none is ready.
        for _ in range(100):
            worker_app.run_worker(
                wait=False,
                queues=queues,
                install_signal_handlers=False,
                listen_notify=False,
                # One at a time unless asked, so tests see jobs run in the order they became ready.
                concurrency=concurrency,
            )
            if not _ready_jobs(queues):
                return


@contextlib.contextmanager
def _without_periodic_tasks(app: Any) -> Iterator[None]:
    """Periodic housekeeping would add jobs of its own to what a test counts; tests call it."""
    registry = app.periodic_registry
    app.periodic_registry = PeriodicRegistry()
    try:
        yield
    finally:
        app.periodic_registry = registry


def _ready_jobs(queues: list[str] | None) -> bool:
    ready = ProcrastinateJob.objects.filter(status="todo").filter(
        Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=timezone.now())
    )
    if queues:
        ready = ready.filter(queue_name__in=queues)
    return ready.exists()


def make_retries_due() -> None:
    """Bring every job waiting for its next attempt forward to now, instead of sleeping."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() "
            "WHERE status = 'todo' AND scheduled_at > now()"
        )
