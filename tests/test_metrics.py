"""``GET /metrics`` (SPEC §19): behind METRICS_TOKEN, each family moves when its thing happens, and
gunicorn's worker processes add up into one scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob
from prometheus_client.parser import text_string_to_metric_families

from core import services
from core.lifecycle.statuses import IncidentStatus
from core.models import Incident, Severity
from response.metrics import exporter
from response.metrics.collectors import OpenIncidentsCollector
from slack import registry
from slack.flows.reminders import sweep as reminder_sweep
from slack.incoming.dispatch import process_event
from slack.models import CommsChannel
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackError
from tests.gunicorn_server import free_port, get, gunicorn, wait_until_listening
from tests.helpers import load_fixture, post_event
from tests.worker_process import database_url, start_worker, stop_worker, wait_for

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-metrics-token"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
CRON = {"HTTP_AUTHORIZATION": "Bearer test-cron-token"}
MANIFEST = {"route": "slack:manifest", "method": "GET", "status": "200"}
REQUESTS = "response_http_request_duration_seconds_count"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """Every sample of one scrape, keyed by name and labels."""
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# --- The token -----------------------------------------------------------------------------------


def test_metrics_do_not_exist_without_a_metrics_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", **AUTH).status_code == 404


def test_a_scrape_without_a_bearer_token_is_told_to_authenticate(client, metrics_on):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401


def test_a_scrape_with_the_wrong_token_is_refused(client, metrics_on):
    for wrong in ("Bearer nope", f"Bearer {TOKEN}x", "Bearer "):
        response = client.get("/metrics", HTTP_AUTHORIZATION=wrong)
        assert response.status_code == 403
        assert b"response_" not in response.content


def test_the_right_token_gets_prometheus_text(client, metrics_on, db):
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {"response_open_incidents", "response_job_queue_backlog"} <= names


# --- Request latency -----------------------------------------------------------------------------


def test_requests_are_timed_by_route_name_not_by_path(client, metrics_on, db):
    before = scrape(client)
    assert post_event(client, load_fixture("url_verification")).status_code == 200
    client.get("/incident/424242/")
    client.get("/incident/434343/")
    client.get("/no-such-page-777")
    after = scrape(client)

    count = "response_http_request_duration_seconds_count"
    event = {"route": "slack:event", "method": "POST", "status": "200"}
    assert value(after, count, **event) - value(before, count, **event) == 1
    detail = [
        labels
        for (name, labels), figure in after.items()
        if name == count and ("route", "ui:incident_detail") in labels
    ]
    assert sum(after[(count, labels)] - before.get((count, labels), 0) for labels in detail) == 2
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, count, **unmatched) - value(before, count, **unmatched) == 1
    every_label = {label for _, labels in after for label in labels}
    assert not any("424242" in v or "777" in v for _, v in every_label)


def test_requests_are_not_timed_while_metrics_are_off(client, settings, db):
    settings.METRICS_TOKEN = TOKEN
    before = value(scrape(Client()), REQUESTS, **MANIFEST)
    settings.METRICS_TOKEN = ""
    assert client.get("/slack/manifest").status_code == 200
    settings.METRICS_TOKEN = TOKEN
    assert value(scrape(Client()), REQUESTS, **MANIFEST) == before


# --- Slack Web API calls -------------------------------------------------------------------------


def test_slack_calls_are_counted_by_method_and_result(client, metrics_on, fake_slack, db):
    calls = "response_slack_api_calls_total"
    before = scrape(client)
    slack = get_slack_client()
    slack.post_message(channel="C1", text="one")
    fake_slack.queue_error("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackError):
        slack.post_message(channel="C1", text="two")
    fake_slack.drop_connection("chat.postMessage")
    with pytest.raises(SlackError):
        slack.post_message(channel="C1", text="three")
    after = scrape(client)

    def moved(result: str) -> float:
        labels = {"method": "chat.postMessage", "result": result}
        return value(after, calls, **labels) - value(before, calls, **labels)

    assert (moved("ok"), moved("channel_not_found"), moved("exception")) == (1, 1, 1)


# --- Jobs and the queue --------------------------------------------------------------------------


@pytest.fixture
def pin_handler():
    outcomes: list[BaseException | None] = []

    def handle(incident, event):
        outcome = outcomes.pop(0) if outcomes else None
        if outcome is not None:
            raise outcome

    registry.event_handlers.register("pin_added", handle)
    yield outcomes
    registry.event_handlers.unregister("pin_added", handle)


@pytest.fixture
def comms_channel(transactional_db):
    incident = services.incident_declare(title="Database is slow", reporter=None)
    return CommsChannel.objects.create(incident=incident, channel_id="C0COMMS", name="inc-1")


TASK = "slack.process_event"


def test_jobs_are_counted_by_state_and_timed_and_the_backlog_is_read_at_scrape_time(
    client, metrics_on, comms_channel, pin_handler, jobs
):
    jobs_total, runs = "response_jobs_total", "response_job_duration_seconds_count"
    backlog = {"queue": "slack", "task": TASK}
    before = scrape(client)
    assert value(before, "response_job_queue_backlog", **backlog) == 0

    with transaction.atomic():
        process_event.defer(envelope=load_fixture("event_pin_added"))
    assert value(scrape(client), "response_job_queue_backlog", **backlog) == 1

    jobs()
    after = scrape(client)
    assert value(after, "response_job_queue_backlog", **backlog) == 0

    def moved(samples: dict, state: str) -> float:
        labels = {"task": TASK, "state": state}
        return value(samples, jobs_total, **labels) - value(before, jobs_total, **labels)

    assert moved(after, "succeeded") == 1
    assert value(after, runs, task=TASK) - value(before, runs, task=TASK) == 1

    # A run that raises is retried (backoff) ...
    pin_handler.append(ConnectionError("Slack did not answer"))
    post_event(client, load_fixture("event_pin_added") | {"event_id": "Ev-metrics-2"})
    jobs()
    retried = scrape(client)
    assert (moved(retried, "retried"), moved(retried, "failed")) == (1, 0)
    assert value(retried, "response_job_queue_backlog", **backlog) == 1  # waiting for its retry

    # ... until it has used up its attempts: then it failed.
    pin_handler.append(ConnectionError("Slack did not answer, again"))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET attempts = 8, scheduled_at = now() WHERE status = 'todo'"
        )
    jobs()
    failed = scrape(client)
    assert (moved(failed, "retried"), moved(failed, "failed")) == (1, 1)
    assert value(failed, runs, task=TASK) - value(before, runs, task=TASK) == 3


# --- The sweep -----------------------------------------------------------------------------------


def test_each_cron_minute_sweep_is_timed(client, metrics_on, db):
    runs = "response_reminder_sweep_duration_seconds_count"
    before = value(scrape(client), runs, result="ok")
    assert client.post("/slack/cron_minute", **CRON).status_code == 200
    assert client.get("/slack/cron_minute", **CRON).status_code == 200
    assert client.post("/slack/cron_minute").status_code == 403  # refused: no sweep ran
    assert value(scrape(client), runs, result="ok") - before == 2


def test_a_sweep_that_raises_is_timed_as_an_error(client, metrics_on, db, monkeypatch):
    runs = "response_reminder_sweep_duration_seconds_count"
    before = scrape(client)

    def broken_schedule():
        raise RuntimeError("the reminder registry is broken")

    monkeypatch.setattr(reminder_sweep, "_schedule", broken_schedule)
    with pytest.raises(RuntimeError):
        client.post("/slack/cron_minute", **CRON)
    after = scrape(client)
    assert value(after, runs, result="error") - value(before, runs, result="error") == 1
    assert value(after, runs, result="ok") == value(before, runs, result="ok")


# --- Open incidents ------------------------------------------------------------------------------


def test_open_incidents_are_counted_by_severity(client, metrics_on, db):
    for severity in (Severity.CRITICAL, Severity.CRITICAL, Severity.MINOR, None):
        services.incident_declare(title="Something", reporter=None, severity=severity)
    over = services.incident_declare(title="Over", reporter=None, severity=Severity.MAJOR)
    Incident.objects.filter(pk=over.pk).update(status=IncidentStatus.RESOLVED)

    samples = scrape(client)

    figures = {
        label: value(samples, "response_open_incidents", severity=label)
        for label in ("critical", "major", "minor", "trivial", "none")
    }
    assert figures == {"critical": 2, "major": 0, "minor": 1, "trivial": 0, "none": 1}


def test_open_incidents_take_one_query_however_many_there_are(db, django_assert_num_queries):
    for number in range(30):
        services.incident_declare(
            title=f"Incident {number}", reporter=None, severity=Severity((number % 4) + 1)
        )
    with django_assert_num_queries(1):
        (family,) = OpenIncidentsCollector().collect()
    assert sum(sample.value for sample in family.samples) == 30


# --- Many processes, one scrape -----------------------------------------------------------------


def server_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The production settings (the suite's own keep metrics in memory), with a token."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PROMETHEUS_MULTIPROC_DIR", "LOG_FORMAT")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="response.settings",
        DATABASE_URL=database_url,
        METRICS_TOKEN=TOKEN,
        XDG_RUNTIME_DIR=str(tmp_path),
        TMPDIR=str(tmp_path),  # where gunicorn_conf makes its metrics directory, if it makes one
        **extra,
    )
    return env


def scrape_over_http(base: str) -> dict[tuple[str, frozenset], float]:
    status, text = get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200, text
    return parse(text)


def test_gunicorn_workers_add_up_into_one_scrape(tmp_path):
    """Each worker process answers at most two requests (``--max-requests 2``), so six requests
    are answered by at least three processes, some gone by the scrape; it must count all six."""
    # Nothing listens there: the database-backed families are left out, the rest is served.
    env = server_env(tmp_path, "postgres://nobody@127.0.0.1:9/nothing")
    with gunicorn(
        env, "--max-requests", "2", "--max-requests-jitter", "0", log=tmp_path / "web.log"
    ) as base:
        for _ in range(6):
            assert get(f"{base}/slack/manifest")[0] == 200
        samples = scrape_over_http(base)
    assert value(samples, REQUESTS, **MANIFEST) == 6
    # The directory gunicorn made for its workers went with it.
    assert not list(tmp_path.glob("response-metrics-*"))


def test_the_job_worker_and_the_web_add_up_into_one_scrape(tmp_path, jobs):
    """A job worker process shares its directory with gunicorn's workers (one host) and with the
    exporter beside it (a pod of its own): both scrapes show the worker's job."""
    shared = tmp_path / "metrics"
    exporter_port = free_port()
    env = server_env(
        tmp_path,
        database_url(),
        PROMETHEUS_MULTIPROC_DIR=str(shared),
        METRICS_PORT=str(exporter_port),
    )
    log = tmp_path / "worker.log"
    worker = start_worker(log, **env)
    exporter_process = subprocess.Popen(
        [sys.executable, "-m", "response.metrics.exporter"], cwd=ROOT, env=env, text=True
    )
    exporter_url = f"http://127.0.0.1:{exporter_port}"
    try:
        with transaction.atomic():
            # No incident has this channel: the job looks and ends, succeeded.
            process_event.defer(envelope=load_fixture("event_pin_added"))
        wait_for(
            "the job ran",
            lambda: (
                not ProcrastinateJob.objects.exclude(status__in=("succeeded", "failed")).exists()
            ),
            worker,
        )
        wait_until_listening(exporter_process, exporter_port)
        worker_side = scrape_over_http(exporter_url)
        assert get(f"{exporter_url}/metrics")[0] == 401
        assert get(f"{exporter_url}/metrics", Authorization="Bearer nope")[0] == 403
        with gunicorn(env, log=tmp_path / "web.log") as base:
            for _ in range(3):
                assert get(f"{base}/slack/manifest")[0] == 200
            web_side = scrape_over_http(base)
    finally:
        exporter_process.terminate()
        exporter_process.wait(timeout=20)
        stop_worker(worker, log)

    for samples in (worker_side, web_side):
        assert value(samples, "response_jobs_total", task=TASK, state="succeeded") == 1
        assert value(samples, "response_job_duration_seconds_count", task=TASK) == 1
    assert value(web_side, REQUESTS, **MANIFEST) == 3
    assert value(web_side, "response_job_queue_backlog", queue="slack", task=TASK) == 0
    # The exporter reads no database: the web reports the shared state, once.
    assert not [name for name, _ in worker_side if name == "response_job_queue_backlog"]
    # Shared, the directory is not gunicorn's to remove.
    assert list(shared.glob("*.db"))


def test_the_exporter_follows_the_rule_of_metrics():
    def status_of(app, **environ: str) -> str:
        answered: list[str] = []
        app(
            {"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET", **environ},
            lambda s, h: answered.append(s),
        )
        return answered[0]

    assert status_of(exporter.make_app("")).startswith("404")
    assert status_of(exporter.make_app(TOKEN)).startswith("401")
    assert status_of(exporter.make_app(TOKEN), HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").startswith(
        "403"
    )
    assert status_of(exporter.make_app(TOKEN), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").startswith(
        "200"
    )
