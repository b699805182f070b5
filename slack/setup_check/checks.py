"""The checks of SPEC §17, in the order ``doctor`` shows them.

Slack is asked through the one client, with the short timeout of calls made while someone waits
(``in_request=True``): the check must answer quickly when Slack does not.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from response.checks import site_url_is_https
from slack.delivery.housekeeping import STALLED_WORKER_SECONDS
from slack.incoming.signature import compute_signature
from slack.manifest import build_manifest
from slack.setup_check import fixes
from slack.setup_check.registry import Finding, Probe, fail, ok, setup_check, warn
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackAuthError, SlackConnectionError, SlackError
from slack.web_api.workspace import find_central_channel
from slack.workflows.config import workflow_config
from slack.workflows.crypto import WRONG_KEY_MESSAGE, UnreadableSecret
from slack.workflows.definitions import DEFINITIONS, Definition

JsonDict = dict[str, Any]

# Jobs due this long ago and still waiting mean the workers do not keep up.
BACKLOG_WARN_SECONDS = 60
# Seconds the self-test waits for Response to answer through SITE_URL.
SELF_TEST_TIMEOUT = 5.0


def transport() -> str:
    return getattr(settings, "SLACK_TRANSPORT", "http")


def _real_slack() -> bool:
    return settings.SLACK_API_BASE_URL.rstrip("/") == settings.REAL_SLACK_API.rstrip("/")


# --- Settings ----------------------------------------------------------------------------------

# Required variable -> (is it required now, where its value comes from).
REQUIRED_SETTINGS: dict[str, tuple[Any, str]] = {
    "SLACK_TOKEN": (_real_slack, fixes.BOT_TOKEN),
    "SLACK_SIGNING_SECRET": (lambda: True, "the app's 'Basic Information' page, 'Signing Secret'"),
    "SLACK_APP_TOKEN": (
        lambda: transport() == "socket",
        f"an app-level token with connections:write, on the app's {fixes.APP_LEVEL_TOKENS}",
    ),
    "ENCRYPTED_FIELD_KEY": (lambda: True, "any long random string, kept for good"),
    "CRON_TOKEN": (lambda: True, "a shared secret of your choosing for the cron container"),
    "SECRET_KEY": (
        lambda: not settings.DEBUG,
        "DJANGO_SECRET_KEY: `python -c 'import secrets; print(secrets.token_urlsafe(50))'`",
    ),
}


@setup_check("settings", "required settings")
def required_settings(probe: Probe) -> Finding:
    if transport() not in ("http", "socket"):
        return fail(f"SLACK_TRANSPORT is {transport()!r}", "Set SLACK_TRANSPORT to http or socket.")
    missing = [
        f"{name} ({where})"
        for name, (required, where) in REQUIRED_SETTINGS.items()
        if required() and not str(getattr(settings, name, "") or "").strip()
    ]
    if missing:
        return fail(
            f"not set: {', '.join(name.split(' ')[0] for name in missing)}",
            "Set them in the environment or .env (env.example lists every variable): "
            + "; ".join(missing)
            + ".",
        )
    app_token = str(getattr(settings, "SLACK_APP_TOKEN", "") or "")
    if transport() == "socket" and not app_token.startswith("xapp-"):
        return fail(
            f"SLACK_APP_TOKEN starts with {app_token[:5]}…, not xapp-",
            fixes.app_token_refused("not_allowed_token_type"),
        )
    return ok(f"all set (transport: {transport()})")


@setup_check("site_url", "SITE_URL")
def site_url(probe: Probe) -> Finding:
    # The same rule as the system check response.W001, which `migrate` shows at start.
    problems = site_url_is_https()
    if not problems:
        return ok(settings.SITE_URL)
    problem = problems[0]
    if transport() == "socket":
        # Slack reaches Response over the socket: only the links posted into Slack are plain.
        return warn(f"{settings.SITE_URL} is not https: links posted in Slack use it", problem.hint)
    return fail(str(problem.msg), str(problem.hint))


# --- Database and worker -----------------------------------------------------------------------


@setup_check("database", "database")
def database(probe: Probe) -> Finding:
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        return fail(
            f"cannot connect: {str(error).strip().splitlines()[0]}",
            "Check DATABASE_URL and that PostgreSQL is running (docker compose: the db service).",
        )
    return ok(f"{connection.vendor} answers ({connection.settings_dict.get('NAME')})")


@setup_check("migrations", "migrations", needs=["database"])
def migrations(probe: Probe) -> Finding:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
        return fail(
            f"{len(plan)} not applied: {names}{more}",
            "Run `python manage.py migrate` (startup.sh and `make run` do it at start).",
        )
    return ok("all applied")


@setup_check("worker", "job worker", needs=["migrations"])
def worker(probe: Probe) -> Finding:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_workers "
            "WHERE last_heartbeat > now() - make_interval(secs => %s)",
            [STALLED_WORKER_SECONDS],
        )
        (alive,) = cursor.fetchone()
    if not alive:
        return fail(
            f"no worker has reported in the last {STALLED_WORKER_SECONDS} s: nothing is posted "
            "to Slack, no channel is created",
            "Start one: `python manage.py procrastinate worker` (docker compose: the worker "
            "service; `make run` starts it).",
        )
    return ok(f"{alive} alive")


@setup_check("queue", "job queue", needs=["migrations"])
def queue(probe: Probe) -> Finding:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), extract(epoch FROM now() - min(coalesce(j.scheduled_at, "
            "(SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id)))) "
            "FROM procrastinate_jobs j "
            "WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"
        )
        waiting, oldest = cursor.fetchone()
    if waiting and oldest is not None and oldest > BACKLOG_WARN_SECONDS:
        return warn(
            f"{_jobs(waiting)} due and waiting, the oldest for {int(oldest)} s",
            "The workers do not keep up: run more of them, or raise WORKER_CONCURRENCY.",
        )
    return ok(f"{_jobs(waiting)} due" if waiting else "nothing waiting")


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


# --- Slack: token, scopes, central channel ---------------------------------------------------


def _auth(probe: Probe) -> tuple[JsonDict, list[str] | None]:
    return probe.once("auth.test", get_slack_client(in_request=True).auth_test_with_scopes)


def _unreachable(error: SlackError) -> Finding:
    return fail(f"Slack could not be reached: {error.message}", fixes.SLACK_UNREACHABLE)


@setup_check("token", "Slack token")
def token(probe: Probe) -> Finding:
    value = settings.SLACK_TOKEN
    if value.startswith("xapp-"):
        return fail("SLACK_TOKEN is an app-level token", fixes.APP_TOKEN_AS_BOT_TOKEN)
    try:
        identity, _ = _auth(probe)
    except SlackConnectionError as error:
        return _unreachable(error)
    except SlackAuthError as error:
        return fail(
            f"auth.test refused SLACK_TOKEN ({error.code})", fixes.token_refused(error.code)
        )
    if value.startswith("xoxp-") or not identity.get("bot_id"):
        who = identity.get("user") or identity.get("user_id")
        return fail(f"SLACK_TOKEN belongs to the person @{who}, not to a bot", fixes.USER_TOKEN)
    return ok(
        f"the bot @{identity.get('user')} ({identity.get('user_id')}) in {identity.get('team')}"
    )


@setup_check("scopes", "scopes", needs=["token"])
def scopes(probe: Probe) -> Finding:
    _, granted = _auth(probe)
    manifest = build_manifest(settings.SITE_URL, settings.INCIDENT_BOT_NAME)
    wanted = list(manifest["oauth_config"]["scopes"]["bot"])
    if granted is None:
        return warn(
            "Slack did not say which scopes the token has (no X-OAuth-Scopes header)",
            f"Compare the app's scopes on {fixes.OAUTH_PAGE} with {settings.SITE_URL}"
            "/slack/manifest.",
        )
    missing = [scope for scope in wanted if scope not in granted]
    if missing:
        return fail(f"missing {', '.join(missing)}", fixes.missing_scopes(missing))
    return ok(f"all {len(wanted)} the manifest asks for")


@setup_check("central_channel", "central channel", needs=["token"])
def central_channel(probe: Probe) -> Finding:
    client = get_slack_client(in_request=True)
    name = settings.INCIDENT_CHANNEL_NAME
    try:
        # The lookup Response makes when it first posts a headline, so its failure reads the same.
        channel_id = find_central_channel()
        channel = client.conversation_info(channel=channel_id)
    except SlackConnectionError as error:
        return _unreachable(error)
    except SlackError as error:
        if error.code == "channel_not_found" and settings.INCIDENT_CHANNEL_ID:
            return fail(
                f"{settings.INCIDENT_CHANNEL_ID} not found",
                fixes.central_channel_id_unknown(settings.INCIDENT_CHANNEL_ID),
            )
        if error.code == "channel_not_found":
            return fail(f"#{name} not found", fixes.central_channel_not_found(name))
        return fail(f"#{name} could not be looked up ({error.code})", error.message)
    shown = f"#{channel.get('name') or name} ({channel_id})"
    if channel.get("is_archived"):
        return fail(
            f"{shown} is archived",
            f"Unarchive #{channel.get('name')} in Slack, or set INCIDENT_CHANNEL_NAME to another.",
        )
    if not channel.get("is_member"):
        return fail(f"the bot is not in {shown}", fixes.bot_not_in_channel(channel.get("name")))
    return ok(f"{shown}, the bot is a member")


# --- How Slack reaches Response ---------------------------------------------------------------


@setup_check("request_url", "request URL self-test", applies=lambda: transport() == "http")
def request_url(probe: Probe) -> Finding:
    """POST a signed ``url_verification`` through SITE_URL, as Slack does to a new Request URL."""
    url = f"{settings.SITE_URL}/slack/event"
    challenge = secrets.token_urlsafe(16)
    body = json.dumps({"type": "url_verification", "challenge": challenge}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": compute_signature(
            secret=settings.SLACK_SIGNING_SECRET, timestamp=timestamp, body=body
        ),
    }
    with requests.Session() as session:
        session.trust_env = not _is_local(url)  # a proxy cannot reach this machine
        try:
            answer = session.post(url, data=body, headers=headers, timeout=SELF_TEST_TIMEOUT)
        except requests.RequestException as error:
            return fail(
                f"POST {url} failed: {type(error).__name__}",
                "SITE_URL must be the address where Slack reaches this Response (the Request URL "
                "on the app's 'Event Subscriptions' page ends in /slack/event): is the web server "
                "running there, or the ngrok tunnel up? Or use SLACK_TRANSPORT=socket, which "
                "needs no public URL.",
            )
    if answer.status_code == 403:
        return fail(
            f"POST {url} was refused (403): the signature did not verify",
            "The server at SITE_URL has another SLACK_SIGNING_SECRET: give every process the "
            "Signing Secret from the app's 'Basic Information' page.",
        )
    if answer.status_code != 200 or _challenge(answer) != challenge:
        return fail(
            f"POST {url} answered {answer.status_code} without the challenge",
            "SITE_URL points at something other than Response (a proxy's page, another "
            "service): set it to Response's own public address.",
        )
    return ok(f"{url} answered the url_verification challenge")


def _challenge(answer: requests.Response) -> str | None:
    try:
        return str(answer.json().get("challenge"))
    except (ValueError, AttributeError):
        return None


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


@setup_check("socket_mode", "Socket Mode", applies=lambda: transport() == "socket")
def socket_mode(probe: Probe) -> Finding:
    client = get_slack_client(in_request=True)
    try:
        client.open_socket_connection(app_token=settings.SLACK_APP_TOKEN)
    except SlackConnectionError as error:
        return _unreachable(error)
    except SlackError as error:
        return fail(
            f"apps.connections.open refused SLACK_APP_TOKEN ({error.code})",
            fixes.app_token_refused(error.code),
        )
    return ok("apps.connections.open with SLACK_APP_TOKEN gave a WebSocket URL")


# --- Workflows ---------------------------------------------------------------------------------


def _workflow_check(definition: Definition) -> None:
    def check(probe: Probe) -> Finding:
        try:
            config = workflow_config(definition.name)
        except UnreadableSecret:
            return fail("its stored secrets cannot be read", WRONG_KEY_MESSAGE)
        if not config.enabled:
            return ok("not enabled")
        missing = definition.missing_to_enable(config.parameters)
        if missing:
            labels = ", ".join(p.label for p in missing)
            return fail(
                f"enabled without {labels}",
                f"Fill in {labels} in the admin: Slack → Workflows → {definition.title}, or "
                "untick 'enabled'.",
            )
        return ok("enabled and configured")

    setup_check(definition.name, definition.title, needs=["migrations"])(check)


for _definition in DEFINITIONS.values():
    _workflow_check(_definition)
