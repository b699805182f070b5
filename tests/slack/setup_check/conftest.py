"""Fixtures of the setup check's tests: the sandbox with Response pointed at it, and a live
worker's heartbeat.

Response runs as a live server (the request URL self-test goes through ``SITE_URL`` to it), the
sandbox in this process.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from sandbox.config import Config
from sandbox.server import Sandbox
from slack.manifest import BOT_SCOPES
from slack.web_api.workspace import reset_caches
from tests.slack.setup_check.support import TOKEN


@pytest.fixture
def slack(live_server, settings, monkeypatch) -> Iterator[Sandbox]:
    """The sandbox, with Response's settings pointed at it and at the live server."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    running = Sandbox(
        Config(port=0, response_url=live_server.url, token=TOKEN),
        subscriptions=[],
        scopes=BOT_SCOPES,
    )
    running.serve()
    settings.SLACK_API_BASE_URL = running.config.public_url + "/api/"
    settings.SLACK_TOKEN = TOKEN
    settings.SITE_URL = live_server.url
    settings.INCIDENT_CHANNEL_NAME = "incidents"
    settings.INCIDENT_CHANNEL_ID = ""
    reset_caches()
    yield running
    running.stop()
    reset_caches()


@pytest.fixture
def worker_alive(transactional_db) -> Iterator[None]:
    """A worker's fresh heartbeat, as a running ``procrastinate worker`` keeps one, and an empty
    queue: procrastinate's tables are not flushed between tests, and jobs other tests left behind
    would be a backlog."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs RESTART IDENTITY CASCADE")
        cursor.execute("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")
        (worker_id,) = cursor.fetchone()
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_workers WHERE id = %s", [worker_id])
