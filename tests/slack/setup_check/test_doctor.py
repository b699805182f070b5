"""``manage.py doctor`` and the admin's *Setup check* page (SPEC §17), against the Slack sandbox.

Each misconfiguration is asked of the sandbox's control API the way a workspace can be set up
wrong, and ``doctor`` must fail naming the fix.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from slack.delivery.housekeeping import STALLED_WORKER_SECONDS
from slack.manifest import BOT_SCOPES
from slack.setup_check import fixes
from slack.setup_check.registry import CHECKS as REGISTERED
from slack.setup_check.registry import Check, Finding, Probe
from slack.web_api.errors import ChannelNotFound, SlackAuthError
from slack.web_api.workspace import bot_user_id, central_channel_id
from slack.workflows.config import workflow_configure, workflow_rows_ensure
from slack.workflows.models import Workflow
from tests.slack.setup_check.support import (
    CHECKS,
    doctor,
    line,
    misconfigure,
    status,
    title_of,
)

# --- A healthy setup ---------------------------------------------------------------------------


def test_a_healthy_setup_passes_every_check(slack, worker_alive):
    code, lines = doctor()

    assert code == 0, "\n".join(lines)
    assert [title_of(text) for text in lines] == CHECKS
    assert all(text.startswith("ok ") for text in lines), "\n".join(lines)
    assert "@incident (U0BOT)" in line(lines, "Slack token")
    assert f"all {len(BOT_SCOPES)}" in line(lines, "scopes")
    assert "the bot is a member" in line(lines, "central channel")
    assert "answered the url_verification challenge" in line(lines, "request URL self-test")


def test_the_summary_is_one_line(slack, worker_alive):
    code, lines = doctor("--summary")

    assert code == 0
    assert lines == [f"Setup check: {len(CHECKS)} ok, 0 warn, 0 fail"]


# --- The token ---------------------------------------------------------------------------------


def test_a_revoked_token_fails_with_reinstall(slack, worker_alive):
    misconfigure(slack, token="revoked")

    code, lines = doctor()

    assert code == 1
    token = line(lines, "Slack token")
    assert token.startswith("fail")
    assert "token_revoked" in token
    assert f"Fix: {fixes.token_refused('token_revoked')}" in token
    assert "reinstall the app" in token
    # What needs the token is not checked, rather than failing again for the same reason.
    assert status(lines, "scopes") == "warn"
    assert "not checked, as Slack token failed" in line(lines, "scopes")
    assert status(lines, "central channel") == "warn"


def test_an_unknown_token_fails_naming_where_the_right_one_is(slack, worker_alive):
    misconfigure(slack, token="invalid")

    code, lines = doctor()

    assert code == 1
    token = line(lines, "Slack token")
    assert token.startswith("fail")
    assert "Bot User OAuth Token (xoxb-…) from the app's 'OAuth & Permissions' page" in token


def test_a_user_token_fails(slack, worker_alive):
    misconfigure(slack, token="user")

    code, lines = doctor()

    assert code == 1
    token = line(lines, "Slack token")
    assert token.startswith("fail")
    assert "belongs to the person @alice" in token
    assert f"Fix: {fixes.USER_TOKEN}" in token


def test_a_user_token_is_known_by_its_prefix_too(slack, worker_alive, settings):
    slack.config = dataclasses.replace(slack.config, token="xoxp-person")
    settings.SLACK_TOKEN = "xoxp-person"

    code, lines = doctor("--check", "token")

    assert code == 1
    assert f"Fix: {fixes.USER_TOKEN}" in line(lines, "Slack token")


def test_slack_out_of_reach_fails_and_says_where_it_was_looked_for(slack, worker_alive, settings):
    settings.SLACK_API_BASE_URL = "http://127.0.0.1:9/api/"

    code, lines = doctor("--summary")

    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith("Setup check: ")
    assert "fail (Slack token)" in lines[0]
    code, lines = doctor("--check", "token")
    assert "http://127.0.0.1:9/api/" in line(lines, "Slack token")
    assert f"Fix: {fixes.SLACK_UNREACHABLE}" in line(lines, "Slack token")


# --- Scopes ------------------------------------------------------------------------------------


def test_missing_scopes_are_named_with_reinstall(slack, worker_alive):
    misconfigure(slack, missing_scopes=["pins:read", "users:read.email"])

    code, lines = doctor()

    assert code == 1
    scopes = line(lines, "scopes")
    assert scopes.startswith("fail")
    assert "missing pins:read, users:read.email" in scopes
    assert fixes.missing_scopes(["pins:read", "users:read.email"]) in scopes
    assert "reinstall the app" in scopes
    assert status(lines, "Slack token") == "ok"


# --- The central channel -----------------------------------------------------------------------


def test_the_bot_missing_from_the_central_channel_fails_with_the_invite(slack, worker_alive):
    misconfigure(slack, bot_not_in=["incidents"])

    code, lines = doctor()

    assert code == 1
    channel = line(lines, "central channel")
    assert channel.startswith("fail")
    assert "/invite @incident" in channel
    assert f"Fix: {fixes.bot_not_in_channel('incidents')}" in channel


def test_a_central_channel_that_does_not_exist_fails_with_the_lookups_words(
    slack, worker_alive, settings
):
    settings.INCIDENT_CHANNEL_NAME = "no-such-channel"

    code, lines = doctor()

    assert code == 1
    channel = line(lines, "central channel")
    assert channel.startswith("fail")
    # The lookup Response makes when it first posts a headline says the same.
    with pytest.raises(ChannelNotFound) as raised:
        central_channel_id()
    assert f"Fix: {raised.value.message}" in channel
    assert raised.value.message == fixes.central_channel_not_found("no-such-channel")


def test_an_archived_central_channel_fails(slack, worker_alive, settings):
    incidents = slack.workspace.channel_named("incidents")
    incidents["is_archived"] = True

    code, lines = doctor("--check", "token", "--check", "central_channel")

    assert code == 1
    assert "or unarchive it" in line(lines, "central channel")  # looked up by name
    settings.INCIDENT_CHANNEL_ID = incidents["id"]
    code, lines = doctor("--check", "token", "--check", "central_channel")
    assert code == 1
    channel = line(lines, "central channel")
    assert channel.startswith("fail")
    assert "is archived" in channel
    assert "Unarchive #incidents" in channel


def test_a_configured_channel_id_that_does_not_exist_fails(slack, worker_alive, settings):
    settings.INCIDENT_CHANNEL_ID = "C0NOSUCH"

    code, lines = doctor("--check", "token", "--check", "central_channel")

    assert code == 1
    assert f"Fix: {fixes.central_channel_id_unknown('C0NOSUCH')}" in line(lines, "central channel")


def test_listing_channels_without_the_scope_fails_naming_it(slack, worker_alive):
    misconfigure(slack, missing_scopes=["channels:read", "groups:read"])

    code, lines = doctor()

    assert code == 1
    channel = line(lines, "central channel")
    assert channel.startswith("fail")
    assert "missing_scope" in channel
    assert "channels:read,groups:read" in channel


def test_the_bot_id_lookup_reports_a_refused_token_with_the_same_fix(slack, worker_alive):
    misconfigure(slack, token="revoked")

    with pytest.raises(SlackAuthError) as raised:
        bot_user_id()
    _, lines = doctor("--check", "token")

    fix = fixes.token_refused("token_revoked")
    assert raised.value.message.endswith(fix)
    assert line(lines, "Slack token").endswith(f"Fix: {fix}")


# --- How Slack reaches Response ----------------------------------------------------------------


def test_a_site_url_where_nothing_answers_fails_the_self_test(slack, worker_alive, settings):
    settings.SITE_URL = "http://127.0.0.1:9"

    code, lines = doctor("--check", "request_url")

    assert code == 1
    self_test = line(lines, "request URL self-test")
    assert self_test.startswith("fail")
    assert "POST http://127.0.0.1:9/slack/event failed" in self_test
    assert "'Event Subscriptions' page" in self_test


def test_a_site_url_that_is_not_response_fails_the_self_test(slack, worker_alive, settings):
    settings.SITE_URL = slack.config.public_url  # the sandbox answers, but it is not Response

    code, lines = doctor("--check", "request_url")

    assert code == 1
    assert "without the challenge" in line(lines, "request URL self-test")


class _PageHandler(BaseHTTPRequestHandler):
    """Answers every POST 200 with a page, as a proxy's or a parked domain's welcome page does."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html><body>Welcome</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet in the test output
        pass


@pytest.fixture
def welcome_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_site_url_answering_200_without_the_challenge_fails_the_self_test(
    slack, worker_alive, settings, welcome_page
):
    settings.SITE_URL = welcome_page

    code, lines = doctor("--check", "request_url")

    assert code == 1
    self_test = line(lines, "request URL self-test")
    assert "answered 200 without the challenge" in self_test
    assert "set it to Response's own public address" in self_test


def test_a_signing_secret_the_server_does_not_share_fails_the_self_test(
    slack, worker_alive, settings, monkeypatch
):
    # The self-test signs with this process's secret; the server at SITE_URL checks with its own.
    monkeypatch.setattr(
        "slack.setup_check.checks.compute_signature", lambda **kwargs: "v0=" + "0" * 64
    )

    code, lines = doctor("--check", "request_url")

    assert code == 1
    assert "refused (403)" in line(lines, "request URL self-test")
    assert "SLACK_SIGNING_SECRET" in line(lines, "request URL self-test")


def test_plain_http_against_real_slack_fails(settings):
    settings.DEBUG = False
    settings.SLACK_API_BASE_URL = settings.REAL_SLACK_API
    settings.SITE_URL = "http://response.example.com"

    code, lines = doctor("--check", "site_url")

    assert code == 1
    assert line(lines, "SITE_URL").startswith("fail")
    assert "https" in line(lines, "SITE_URL").split("Fix:")[1]


def test_plain_http_over_socket_mode_only_warns(settings):
    # Slack reaches Response over the socket; only the links posted into Slack are plain http.
    settings.DEBUG = False
    settings.SLACK_API_BASE_URL = settings.REAL_SLACK_API
    settings.SITE_URL = "http://response.example.com"
    settings.SLACK_TRANSPORT = "socket"

    code, lines = doctor("--check", "site_url")

    assert code == 0
    assert line(lines, "SITE_URL").startswith("warn")
    assert "links posted in Slack" in line(lines, "SITE_URL")


def test_an_app_level_token_as_the_bot_token_fails_before_asking_slack(settings):
    settings.SLACK_TOKEN = "xapp-1-A0-pasted-here"
    settings.SLACK_API_BASE_URL = "http://127.0.0.1:9/api/"  # nothing there: Slack is not asked

    code, lines = doctor("--check", "token")

    assert code == 1
    assert line(lines, "Slack token").endswith(f"Fix: {fixes.APP_TOKEN_AS_BOT_TOKEN}")


def test_socket_mode_with_a_bot_token_as_app_token_fails_the_settings(settings):
    settings.SLACK_TRANSPORT = "socket"
    settings.SLACK_APP_TOKEN = "xoxb-sandbox"

    code, lines = doctor("--check", "settings")

    assert code == 1
    assert "xapp-" in line(lines, "required settings")


def test_socket_mode_without_an_app_token_fails_naming_the_variable(settings):
    settings.SLACK_TRANSPORT = "socket"
    settings.SLACK_APP_TOKEN = ""

    code, lines = doctor("--check", "settings")

    assert code == 1
    settings_line = line(lines, "required settings")
    assert "not set: SLACK_APP_TOKEN" in settings_line
    assert "'App-Level Tokens'" in settings_line


# --- Database, worker, workflows ---------------------------------------------------------------


def test_no_worker_fails_with_the_command_to_start_one(slack):
    code, lines = doctor()

    assert code == 1
    worker = line(lines, "job worker")
    assert worker.startswith("fail")
    assert "`python manage.py procrastinate worker`" in worker


def test_a_worker_whose_heartbeat_stopped_is_not_alive(slack):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - make_interval(secs => %s)) RETURNING id",
            [STALLED_WORKER_SECONDS + 60],
        )
        (worker_id,) = cursor.fetchone()
    try:
        code, lines = doctor("--check", "worker")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_workers WHERE id = %s", [worker_id])

    assert code == 1
    assert line(lines, "job worker").startswith("fail")


def test_unapplied_migrations_fail_with_migrate(transactional_db):
    recorder = MigrationRecorder(connection)
    latest = max(name for app, name in recorder.applied_migrations() if app == "slack")
    recorder.record_unapplied("slack", latest)
    try:
        code, lines = doctor("--check", "migrations", "--check", "worker")
    finally:
        recorder.record_applied("slack", latest)

    assert code == 1
    assert f"slack.{latest}" in line(lines, "migrations")
    assert "`python manage.py migrate`" in line(lines, "migrations")
    assert status(lines, "job worker") == "warn"


def defer_job(*, waiting_seconds: int) -> None:
    """A job due now, deferred ``waiting_seconds`` ago and not yet taken by a worker."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args) "
            "VALUES ('default', 'tests.waiting', '{}') RETURNING id"
        )
        (job_id,) = cursor.fetchone()
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) "
            "WHERE job_id = %s",
            [waiting_seconds, job_id],
        )


def test_a_queue_backlog_warns_without_failing(slack, worker_alive):
    defer_job(waiting_seconds=5)
    defer_job(waiting_seconds=600)

    code, lines = doctor()

    assert code == 0, "\n".join(lines)
    queue = line(lines, "job queue")
    assert queue.startswith("warn")
    assert "2 jobs due and waiting, the oldest for 600 s" in queue
    assert "run more of them" in queue


def test_jobs_just_deferred_are_no_backlog(slack, worker_alive):
    defer_job(waiting_seconds=5)

    code, lines = doctor("--check", "queue")

    assert code == 0
    assert line(lines, "job queue").startswith("ok")
    assert "1 job due" in line(lines, "job queue")


def test_an_enabled_workflow_without_its_settings_fails(slack, worker_alive):
    workflow_rows_ensure()
    workflow_configure(
        workflow=Workflow.objects.get(name="statuspage"), enabled=True, values={"page_id": "p1"}
    )

    code, lines = doctor()

    assert code == 1
    statuspage = line(lines, "Statuspage")
    assert statuspage.startswith("fail")
    assert "enabled without API key" in statuspage
    assert "Slack → Workflows → Statuspage" in statuspage
    assert status(lines, "PagerDuty") == "ok"


def test_a_check_that_breaks_fails_alone_and_hides_no_other(db, monkeypatch):
    def broken(probe: Probe) -> Finding:
        raise RuntimeError("a bug in this check")

    monkeypatch.setitem(REGISTERED, "broken", Check("broken", "broken check", broken))

    code, lines = doctor("--check", "broken", "--check", "database")

    assert code == 1
    assert line(lines, "broken check").startswith(
        "fail  broken check: the check itself failed (RuntimeError: a bug in this check)"
    )
    assert status(lines, "database") == "ok"


def test_an_unknown_check_is_an_error(db):
    with pytest.raises(Exception, match="no setup check named nope"):
        call_command("doctor", "--check", "nope", stdout=io.StringIO())


# --- The admin page ----------------------------------------------------------------------------


def test_the_admin_page_shows_the_same_checks_to_staff(slack, worker_alive, client):
    misconfigure(slack, missing_scopes=["pins:read"])
    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)

    index = client.get("/admin/")
    page = client.get("/admin/setup-check/")

    assert b'href="/admin/setup-check/"' in index.content
    assert page.status_code == 200
    text = page.content.decode()
    for title in CHECKS:
        assert f"<td>{title}</td>" in text
    assert 'class="setup-fail" data-check="scopes"' in text
    assert "missing pins:read" in text
    assert "reinstall the app" in text
    assert "Setup check: 11 ok, 0 warn, 1 fail (scopes)</p>" in text


def test_the_admin_page_is_for_staff_only(db, client):
    person = get_user_model().objects.create_user("person", password="x")
    client.force_login(person)

    answer = client.get("/admin/setup-check/")

    assert answer.status_code == 302
    assert answer["Location"].startswith("/admin/login/")
