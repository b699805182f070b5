"""``manage.py doctor`` as a person runs it, in a second terminal beside ``make run`` (SPEC §17).

``make run`` (the session's ``sandbox_stack``) runs Response and the Slack sandbox as separate
processes; ``doctor`` runs as its own process against them, the sandbox set up wrong through its
control API the way a workspace can be. Its exit status and lines are what a person or a script
sees. ``make run``'s own one-line summary of the same checks is read from its output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from slack.manifest import BOT_SCOPES
from slack.setup_check import fixes
from tests.e2e.sandbox_stack import (  # noqa: F401 (sandbox_stack, socket_stack: fixtures)
    REMOVED_VARIABLES,
    ROOT,
    SandboxStack,
    sandbox_stack,
    socket_stack,
)

pytestmark = pytest.mark.slow

# Every check of an HTTP-mode setup with no workflow enabled.
CHECKS_IN_HTTP_MODE = 12
SUMMARY_SECONDS = 180


def _environment(stack: SandboxStack, transport: str) -> dict[str, str]:
    """What a second terminal in the checkout has: the runner's data directory and ports."""
    response_port = str(urlsplit(stack.response_url).port)
    sandbox_port = str(urlsplit(stack.sandbox_url).port)
    env = {name: value for name, value in os.environ.items() if name not in REMOVED_VARIABLES}
    env.update(
        RESPONSE_DATA_DIR=str(stack.data_dir),
        RESPONSE_PORT=response_port,
        SANDBOX_PORT=sandbox_port,
        DATABASE_URL="",
        SLACK_TOKEN="",
        SLACK_API_BASE_URL=f"{stack.sandbox_url}/api/",
        SLACK_TRANSPORT=transport,
        SLACK_APP_TOKEN="",
        SITE_URL=f"http://localhost:{response_port}",
        DJANGO_DEBUG="1",
        INCIDENT_CHANNEL_NAME="incidents",
        INCIDENT_CHANNEL_ID="",
        INCIDENT_BOT_NAME="incident",
        RESPONSE_PLUGINS="",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def doctor(stack: SandboxStack, *args: str, transport: str = "http") -> tuple[int, list[str]]:
    """``python manage.py doctor``: its exit status and its lines."""
    done = subprocess.run(
        [sys.executable, "manage.py", "doctor", "--no-color", *args],
        cwd=ROOT,
        env=_environment(stack, transport),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not done.stderr.strip() or done.returncode in (0, 1), done.stderr
    return done.returncode, done.stdout.splitlines()


def line(lines: list[str], title: str) -> str:
    (found,) = [text for text in lines if text.split(":")[0].split(None, 1)[1] == title]
    return found


@pytest.fixture
def stack(sandbox_stack: SandboxStack) -> Iterator[SandboxStack]:  # noqa: F811 (the fixture)
    """The running stack; whatever a test misconfigures is undone for the tests after it."""
    yield sandbox_stack
    sandbox_stack.sandbox.request("DELETE", "/sandbox/misconfig")


def misconfigure(stack: SandboxStack, **spec: Any) -> None:
    stack.sandbox.post("/sandbox/misconfig", spec)


def printed_summary(stack: SandboxStack) -> str:
    """The setup check's line in ``make run``'s output, once it is there."""
    deadline = time.monotonic() + SUMMARY_SECONDS
    while not (summary := [t for t in stack.log().splitlines() if "Setup check:" in t]):
        assert time.monotonic() < deadline, f"no setup check summary:\n{stack.log()}"
        time.sleep(0.5)
    (printed,) = summary
    return printed.strip()


def test_make_run_prints_the_setup_check_in_one_line(stack):
    summary = printed_summary(stack)

    assert summary.endswith(f"Setup check: {CHECKS_IN_HTTP_MODE} ok, 0 warn, 0 fail")


def test_over_socket_mode_the_app_token_is_checked_instead_of_the_request_url(
    socket_stack: SandboxStack,  # noqa: F811 (the fixture)
):
    # Socket Mode's check takes the place of the request URL's: the same number of checks.
    assert printed_summary(socket_stack).endswith(
        f"Setup check: {CHECKS_IN_HTTP_MODE} ok, 0 warn, 0 fail"
    )

    code, lines = doctor(socket_stack, transport="socket")

    assert code == 0, "\n".join(lines)
    assert line(lines, "Socket Mode").startswith("ok")
    assert line(lines, "required settings").endswith("all set (transport: socket)")
    assert not [text for text in lines if "request URL self-test" in text]


def test_a_healthy_setup_exits_0(stack):
    code, lines = doctor(stack)

    assert code == 0, "\n".join(lines)
    assert len(lines) == CHECKS_IN_HTTP_MODE
    assert not [text for text in lines if text.startswith("fail")]
    assert f"all {len(BOT_SCOPES)}" in line(lines, "scopes")
    assert "answered the url_verification challenge" in line(lines, "request URL self-test")


@pytest.mark.parametrize(
    ("misconfiguration", "title", "fix"),
    [
        ({"token": "revoked"}, "Slack token", fixes.token_refused("token_revoked")),
        ({"token": "user"}, "Slack token", fixes.USER_TOKEN),
        (
            {"missing_scopes": ["channels:manage", "pins:read"]},
            "scopes",
            "Add channels:manage, pins:read under 'Bot Token Scopes' on the app's 'OAuth & "
            "Permissions' page",
        ),
        ({"bot_not_in": ["incidents"]}, "central channel", "/invite @incident"),
    ],
    ids=["revoked-token", "user-token", "missing-scopes", "bot-not-in-channel"],
)
def test_a_misconfigured_workspace_exits_1_with_the_fix(stack, misconfiguration, title, fix):
    misconfigure(stack, **misconfiguration)

    code, lines = doctor(stack)

    assert code == 1, "\n".join(lines)
    found = line(lines, title)
    assert found.startswith("fail")
    assert fix in found.split(" Fix: ", 1)[1]
    summary_code, (summary,) = doctor(stack, "--summary")
    assert summary_code == 1
    assert f"({title})" in summary
