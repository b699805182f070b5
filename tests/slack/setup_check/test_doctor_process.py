"""``manage.py doctor`` when the settings themselves cannot load (a required variable unset).

Django stops before any command runs; ``doctor`` must still keep its contract (a failed check
line with the fix, exit 1), while every other command keeps manage.py's start-up error (exit 2).
Run as a process, as a person or a script runs it: the failure is in start-up itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Enough for the settings to load in debug mode against the sandbox: each test takes one away.
LOADABLE = {
    "DJANGO_SETTINGS_MODULE": "response.settings",
    "DJANGO_DEBUG": "1",
    "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",
    "SLACK_SIGNING_SECRET": "a-signing-secret",
    "CRON_TOKEN": "a-cron-token",
    "ENCRYPTED_FIELD_KEY": "an-encryption-key",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nowhere",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **LOADABLE, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("unloadable", "named"),
    [
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
        (
            {"SLACK_TRANSPORT": "socket", "SLACK_APP_TOKEN": "xoxb-pasted-in-the-wrong-place"},
            "SLACK_APP_TOKEN must be an app-level token",
        ),
    ],
    ids=["signing-secret", "bot-token-as-app-token"],
)
def test_settings_that_do_not_load_are_a_failed_check(unloadable, named):
    done = manage("doctor", "--no-color", **unloadable)

    assert done.returncode == 1, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("fail  required settings: ")
    assert named in line.split(" Fix: ", 1)[1]


def test_the_summary_says_so_in_one_line():
    done = manage("doctor", "--summary", SLACK_SIGNING_SECRET="")

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "Setup check: 0 ok, 0 warn, 1 fail (required settings); "
        "`python manage.py doctor` says how to fix"
    ]


def test_other_commands_keep_the_start_up_error():
    done = manage("check", SLACK_SIGNING_SECRET="")

    assert done.returncode == 2
    assert "Response cannot start: SLACK_SIGNING_SECRET is not set" in done.stderr


def test_a_failed_slack_call_is_said_once_in_its_line_not_in_the_log_too():
    done = manage("doctor", "--check", "token")

    assert done.returncode == 1
    assert "Slack could not be reached" in done.stdout
    assert "auth.test" not in done.stderr, done.stderr
