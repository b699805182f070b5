"""``manage.py doctor`` in Socket Mode: ``apps.connections.open`` with the app-level token, against
the sandbox's Socket Mode (SPEC §17)."""

from __future__ import annotations

import pytest

from tests.slack.setup_check.support import (
    APP_TOKEN,
    doctor,
    line,
)


def test_socket_mode_opens_a_connection_with_the_app_token(slack, worker_alive, settings):
    settings.SLACK_TRANSPORT = "socket"
    settings.SLACK_APP_TOKEN = APP_TOKEN

    code, lines = doctor()

    assert code == 0, "\n".join(lines)
    assert line(lines, "Socket Mode").startswith("ok")
    assert not [text for text in lines if "request URL self-test" in text]


@pytest.mark.parametrize(
    ("app_token", "code_seen"),
    [("xapp-not-this-one", "invalid_auth")],
)
def test_socket_mode_with_a_wrong_app_token_fails(
    slack, worker_alive, settings, app_token, code_seen
):
    settings.SLACK_TRANSPORT = "socket"
    settings.SLACK_APP_TOKEN = app_token

    code, lines = doctor("--check", "socket_mode")

    assert code == 1
    socket = line(lines, "Socket Mode")
    assert code_seen in socket
    assert "'App-Level Tokens'" in socket
