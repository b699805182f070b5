"""``manage.py doctor``: the setup check (SPEC §17), one line per check.

Exit status 0 when nothing failed (warnings included), 1 when something needs fixing, so scripts
and start-up can rely on it. ``--summary`` prints the one line ``make run`` shows at start;
``--settle`` keeps re-checking for a while, for processes (the worker, the sandbox) still starting.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slack.setup_check import checks  # noqa: F401 (registers the checks)
from slack.setup_check.registry import CHECKS, Result, Status, exit_code, run_checks, summary

STYLES = {Status.OK: "SUCCESS", Status.WARN: "WARNING", Status.FAIL: "ERROR"}
# Loggers that report each failed Slack call; the check's own line says it better, with the fix.
QUIET_LOGGERS = ("slack_sdk", "slack.web_api.client")


@contextlib.contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Check Response's setup (settings, database, worker, the Slack app) and say what to fix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="append",
            dest="names",
            metavar="NAME",
            help=f"run only this check (repeatable): {', '.join(CHECKS)}",
        )
        parser.add_argument(
            "--summary", action="store_true", help="print one line: the counts and what failed"
        )
        parser.add_argument(
            "--settle",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="while something fails, check again every second for up to this long",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with _quiet(QUIET_LOGGERS):
                results = self._run(options["names"], options["settle"])
        except KeyError as error:
            raise CommandError(error.args[0]) from error
        if options["summary"]:
            self.stdout.write(summary(results))
        else:
            for result in results:
                self.stdout.write(result.line(), getattr(self.style, STYLES[result.status]))
        code = exit_code(results)
        if code:
            sys.exit(code)

    @staticmethod
    def _run(names: list[str] | None, settle: float) -> list[Result]:
        deadline = time.monotonic() + settle
        while True:
            results = run_checks(names)
            if not exit_code(results) or time.monotonic() >= deadline:
                return results
            time.sleep(1)
