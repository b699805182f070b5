"""Plugins listed in RESPONSE_PLUGINS (SPEC §7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.slack.channel_helpers import channel_posts, incident_with_channel, mention

ROOT = Path(__file__).resolve().parents[2]


def test_a_plugin_command_answers_in_the_channel(client, example_plugin, fake_slack, jobs):
    incident_with_channel()

    mention(client, "runbook")
    mention(client, "RB")
    jobs()

    assert (
        channel_posts(fake_slack).count(f"The runbook for incidents: {example_plugin.RUNBOOK_URL}")
        == 2
    )


def test_help_lists_plugin_commands(client, example_plugin, fake_slack, jobs):
    incident_with_channel()

    mention(client, "help")
    jobs()

    assert any(
        "`runbook | rb` — Link the team's incident runbook" in t for t in channel_posts(fake_slack)
    )


def _start_with_plugins(plugins: str, tmp_path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "RESPONSE_PLUGINS": plugins,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",  # startup fails before any query
        "RESPONSE_DATA_DIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_word_registered_twice_stops_startup_naming_both_places(tmp_path):
    result = _start_with_plugins("tests.plugins.duplicate_help", tmp_path)

    assert result.returncode == 2
    assert "incident command 'help' is registered twice" in result.stderr
    assert "slack.flows.commands.handlers.show_help" in result.stderr
    assert "tests.plugins.duplicate_help.our_help" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plugin_that_cannot_be_imported_stops_startup(tmp_path):
    result = _start_with_plugins("examples.no_such_plugin", tmp_path)

    assert result.returncode != 0
    assert "RESPONSE_PLUGINS lists 'examples.no_such_plugin'" in result.stderr
