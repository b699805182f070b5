"""Helpers of the setup check's tests: misconfiguring the sandbox through its control API, and
running ``manage.py doctor`` and reading its lines."""

from __future__ import annotations

import io
import json
import re
import urllib.request
from typing import Any

from django.core.management import call_command

from sandbox.server import Sandbox

TOKEN = "xoxb-sandbox-doctor"
APP_TOKEN = "xapp-sandbox"  # what the sandbox accepts unless SLACK_APP_TOKEN says otherwise
# Every check of an HTTP-mode setup, in the order doctor shows them.
CHECKS = [
    "required settings",
    "SITE_URL",
    "database",
    "migrations",
    "job worker",
    "job queue",
    "Slack token",
    "scopes",
    "central channel",
    "request URL self-test",
    "Statuspage",
    "PagerDuty",
]


def misconfigure(sandbox: Sandbox, **spec: Any) -> None:
    """Set the workspace up wrong through the sandbox's control API (``/sandbox/misconfig``)."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        sandbox.config.public_url + "/sandbox/misconfig",
        data=json.dumps(spec).encode(),
        method="POST",
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def doctor(*args: str) -> tuple[int, list[str]]:
    """Run ``manage.py doctor``: its exit status and its lines."""
    out = io.StringIO()
    try:
        call_command("doctor", *args, stdout=out, no_color=True)
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    return code, out.getvalue().splitlines()


LINE = re.compile(r"^(ok|warn|fail) +([^:]+): ")


def title_of(text: str) -> str:
    match = LINE.match(text)
    assert match, f"not a check's line: {text!r}"
    return match.group(2)


def line(lines: list[str], title: str) -> str:
    (found,) = [text for text in lines if title_of(text) == title]
    return found


def status(lines: list[str], title: str) -> str:
    return line(lines, title).split()[0]
