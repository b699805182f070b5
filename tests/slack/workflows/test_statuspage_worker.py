"""A workflow enabled in the admin is used by a worker process that was already running: the
configuration is read from the database, never cached in a process (SPEC §9)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from slack.workflows import config
from slack.workflows.models import Workflow
from slack.workflows.statuspage import blocks
from tests.slack.channel_helpers import COMMS, channel_posts, incident_with_channel, mention
from tests.slack.workflows.fake_statuspage import PAGE_ID, FakeStatuspage
from tests.slack.workflows.test_statuspage import API_KEY, click_open
from tests.worker_process import start_worker, stop_worker, wait_for


@pytest.fixture
def statuspage():
    with FakeStatuspage() as fake:
        yield fake


@pytest.fixture
def worker(jobs, fake_slack, statuspage, tmp_path):
    """A worker in a process of its own. ``jobs`` only empties the queue here: the worker below
    runs the jobs, not the test."""
    log_path = tmp_path / "worker.log"
    process = start_worker(
        log_path,
        SLACK_API_BASE_URL=fake_slack.base_url,
        STATUSPAGE_API_BASE_URL=statuspage.base_url,
    )
    try:
        yield process
    finally:
        stop_worker(process, log_path)


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
