"""A workflow enabled in the admin is used by a worker process that was already running: the
configuration is read from the database, never cached in a process (SPEC §9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse

from slack.blocks import statuspage as blocks
from slack.workflows import config
from slack.workflows.models import Workflow
from tests.slack.channel_helpers import COMMS, channel_posts, incident_with_channel, mention
from tests.slack.workflows.fake_statuspage import PAGE_ID, FakeStatuspage
from tests.slack.workflows.test_statuspage import API_KEY, click_open

ROOT = Path(__file__).resolve().parents[3]
# Generous: a cold worker imports Django and the app before it takes its first job.
PATIENCE_SECONDS = 60


def _test_database_url() -> str:
    """The database this test runs on, for a process started outside pytest."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def statuspage():
    with FakeStatuspage() as fake:
        yield fake


@pytest.fixture
def worker(jobs, fake_slack, statuspage, tmp_path):
    """``manage.py procrastinate worker`` in a process of its own, on the test database.

    ``jobs`` only empties the queue here: the worker below runs the jobs, not the test.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "response.settings",
        "DATABASE_URL": _test_database_url(),
        "SLACK_API_BASE_URL": fake_slack.base_url,
        "STATUSPAGE_API_BASE_URL": statuspage.base_url,
        "PROCRASTINATE_LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log_path.read_text(errors="replace")[-5000:])  # shown when the test fails


def wait_for(what: str, condition, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert worker.poll() is None, f"the worker exited ({worker.returncode}) before {what}"
        assert time.monotonic() < deadline, f"the worker never got to: {what}"
        time.sleep(0.1)


def test_enabling_statuspage_in_the_admin_reaches_a_running_worker(
    client, admin_client, fake_slack, statuspage, worker
):
    incident = incident_with_channel()
    config.workflow_rows_ensure()

    # The worker is up and sees the workflow disabled.
    mention(client, "sp")
    wait_for(
        "saying Statuspage is not enabled",
        lambda: any("enable the statuspage workflow" in t for t in channel_posts(fake_slack)),
        worker,
    )

    workflow = Workflow.objects.get(name="statuspage")
    response = admin_client.post(
        reverse("admin:slack_workflow_change", args=[workflow.pk]),
        {"enabled": "on", "api_key": API_KEY, "page_id": PAGE_ID},
    )
    assert response.status_code == 302

    # The same worker, not restarted, now offers the form and fetches the page's components.
    mention(client, "sp")
    wait_for(
        "offering the Statuspage button",
        lambda: any(
            blocks.OPEN_BUTTON in json.dumps(c.params.get("blocks"))
            for c in fake_slack.calls("chat.postMessage")
            if c.params["channel"] == COMMS
        ),
        worker,
    )
    click_open(client, incident.pk)
    wait_for("filling the form", lambda: fake_slack.calls("views.update"), worker)

    (fetch,) = statuspage.requests
    assert fetch.path == f"/v1/pages/{PAGE_ID}/components"
    assert fetch.headers["Authorization"] == f"OAuth {API_KEY}"
    assert "Card payments" in json.dumps(fake_slack.calls("views.update")[0].params["view"])
