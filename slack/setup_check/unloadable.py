"""``doctor`` when the settings themselves cannot load.

A required variable that is unset or unusable stops Django before any command runs, which
``manage.py`` reports with exit status 2. For ``doctor`` that is the very thing it checks: it is
reported as the failed *required settings* check instead, in doctor's own format and with its
exit status 1, so scripts relying on doctor's contract see "needs fixing". Nothing else can be
checked without settings. This module is imported before Django is set up: it must not touch
``django.conf.settings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from slack.setup_check.registry import Result, Status, exit_code, summary

COMMAND = "doctor"


def is_doctor(argv: Sequence[str]) -> bool:
    """Whether ``manage.py`` was asked to run ``doctor`` (``argv`` as ``sys.argv``)."""
    return len(argv) > 1 and argv[1] == COMMAND


def report(error: Exception, argv: Sequence[str], out: TextIO) -> int:
    """Write what doctor would for settings that do not load; return its exit status."""
    result = Result(
        name="settings",
        title="required settings",
        status=Status.FAIL,
        message="Response cannot start with these settings",
        fix=str(error),
    )
    out.write((summary([result]) if "--summary" in argv else result.line()) + "\n")
    return exit_code([result])
