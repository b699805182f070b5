"""Health, manifest and configuration: what an operator meets first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def refuse(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503


def test_the_manifest_is_filled_in_from_site_url(client, settings):
    settings.SITE_URL = "https://response.example.com"

    response = client.get("/slack/manifest")

    assert response.status_code == 200
    manifest = yaml.safe_load(response.content)
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/incident"
    assert command["url"] == "https://response.example.com/slack/slash_command"
    subscriptions = manifest["settings"]["event_subscriptions"]
    assert subscriptions["request_url"] == "https://response.example.com/slack/event"
    assert manifest["settings"]["interactivity"] == {
        "is_enabled": True,
        "request_url": "https://response.example.com/slack/action",
    }
    assert {"app_mention", "pin_added", "pin_removed", "message.channels"} <= set(
        subscriptions["bot_events"]
    )
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "channels:manage", "pins:read", "users:read"} <= scopes


def test_the_manifest_respects_slacks_field_limits(client):
    manifest = yaml.safe_load(client.get("/slack/manifest").content)

    assert len(manifest["display_information"]["name"]) <= 35
    assert len(manifest["display_information"]["description"]) <= 140
    bot_name = manifest["features"]["bot_user"]["display_name"]
    assert bot_name == bot_name.lower() and len(bot_name) <= 80
    assert len(manifest["settings"]["event_subscriptions"]["bot_events"]) <= 100


def _run_check(env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "response.settings"
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "hint"),
    [
        ("SLACK_SIGNING_SECRET", "Signing Secret"),
        ("CRON_TOKEN", "cron"),
        ("ENCRYPTED_FIELD_KEY", "encrypted"),
        ("DJANGO_SECRET_KEY", "secrets.token_urlsafe"),
        ("SLACK_TOKEN", "Bot User OAuth Token"),
    ],
)
def test_a_missing_required_secret_stops_startup_naming_it(variable, hint, tmp_path):
    result = _run_check(
        {
            variable: None,
            "DJANGO_DEBUG": "0",
            # Real Slack, so SLACK_TOKEN is required too.
            "SLACK_API_BASE_URL": "https://slack.com/api/",
            # Never reach the database: the check must fail before it is needed.
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "RESPONSE_DATA_DIR": str(tmp_path),
        }
    )

    assert result.returncode == 2
    assert f"{variable} is not set" in result.stderr
    assert hint in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_variables_keep_their_defaults(tmp_path):
    result = _run_check(
        {
            "DJANGO_DEBUG": "0",
            "LOG_LEVEL": "",
            "SLACK_API_TIMEOUT": "",
            "SECURE_HSTS_SECONDS": "",
            "ALLOWED_HOSTS": "",
            "SLACK_API_BASE_URL": "",
            "SLACK_TOKEN": "xoxb-configured",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "RESPONSE_DATA_DIR": str(tmp_path),
        }
    )

    assert result.returncode == 0, result.stderr
