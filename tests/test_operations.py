"""Health, manifest and configuration: what an operator meets first."""

from __future__ import annotations

import os
import shutil
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


DEV_OVERRIDE = "docker-compose.dev.yml"


def _compose_config(directory: Path, *files: str) -> dict:
    """``docker-compose config`` on a clean copy with no .env, as on a fresh clone (.ci/run)."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    for name in ("docker-compose.yml", DEV_OVERRIDE, "Dockerfile"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, directory / name)
    shutil.copytree(ROOT / "cron", directory / "cron")
    result = subprocess.run(
        [compose, *(arg for name in files for arg in ("-f", name)), "config"],
        cwd=directory,
        env={"PATH": os.environ["PATH"], "HOME": str(directory)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _mounts(service: dict) -> dict[str, str]:
    """target → source of the service's bind mounts, in either of compose's two spellings."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        mounts[target] = source
    return mounts


def _command(service: dict) -> str:
    command = service.get("command", [])
    return command if isinstance(command, str) else " ".join(command)


def test_the_dev_override_mounts_the_checkout_and_reloads_on_changes(tmp_path):
    services = _compose_config(tmp_path, "docker-compose.yml", DEV_OVERRIDE)["services"]

    for name in ("response", "worker"):
        assert Path(_mounts(services[name])["/app"]) == tmp_path, name
    web = _command(services["response"])
    assert "runserver 0.0.0.0:8000" in web and "--noreload" not in web
    assert "migrate" in web  # as startup.sh web does, before serving
    worker = _command(services["worker"])
    assert "./startup.sh worker" in worker  # waits for the database and migrations
    assert "-newer" in worker  # restarted when a Python file changes
    # manage.py must not mistake the container for `make run` and invent secrets.
    assert services["response"]["environment"]["DJANGO_SETTINGS_MODULE"] == "response.settings"


def test_the_production_compose_file_runs_the_image_as_built(tmp_path):
    services = _compose_config(tmp_path, "docker-compose.yml")["services"]

    for name in ("response", "worker"):
        # No checkout mounted over the image; the one volume is the shared metrics directory.
        assert _mounts(services[name]) == {"/run/response-metrics": "metrics"}, name
        assert "DJANGO_SETTINGS_MODULE" not in services[name]["environment"]
    assert services["response"]["command"] == ["web"]
    assert services["worker"]["command"] == ["worker"]
