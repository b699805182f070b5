"""The table of setup checks, and running it.

A check is a function registered with ``@setup_check``: it takes the run's ``Probe`` (answers
shared between checks, such as ``auth.test``) and returns a ``Finding``. A check may need others
to pass first (the scopes cannot be read without a working token); when one of those fails, it
is reported as not checked rather than failing a second time for the same reason. A check that
raises is reported as failed, so that one broken check never hides the others.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """What a check found: its status, what it saw, and (unless ok) what to do about it."""

    status: Status
    message: str
    fix: str = ""


def ok(message: str) -> Finding:
    return Finding(Status.OK, message)


def warn(message: str, fix: str = "") -> Finding:
    return Finding(Status.WARN, message, fix)


def fail(message: str, fix: str) -> Finding:
    return Finding(Status.FAIL, message, fix)


@dataclass
class Probe:
    """Answers computed once per run and shared by the checks that need them."""

    _answers: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``'s value, or the exception it raised, the same for every caller."""
        if key not in self._answers:
            try:
                self._answers[key] = (True, compute())
            except Exception as error:  # re-raised to every check that asks
                self._answers[key] = (False, error)
        succeeded, value = self._answers[key]
        if not succeeded:
            raise value
        return value


CheckFunction = Callable[[Probe], Finding]


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: CheckFunction
    needs: tuple[str, ...] = ()
    # False when the check does not apply to this setup (Socket Mode's in HTTP mode, say).
    applies: Callable[[], bool] = lambda: True


@dataclass(frozen=True)
class Result:
    name: str
    title: str
    status: Status
    message: str
    fix: str = ""

    def line(self) -> str:
        """The result as ``doctor`` prints it: one line, the fix on it."""
        text = f"{self.status.value:<4}  {self.title}: {self.message}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


CHECKS: dict[str, Check] = {}


def setup_check(
    name: str, title: str, *, needs: Iterable[str] = (), applies: Callable[[], bool] | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under ``name``; checks run and show in the order they are registered."""

    def register(function: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"setup check {name!r} is registered twice")
        CHECKS[name] = Check(
            name=name,
            title=title,
            run=function,
            needs=tuple(needs),
            applies=applies or (lambda: True),
        )
        return function

    return register


def run_checks(names: Iterable[str] | None = None) -> list[Result]:
    """Run the checks (all, or those named), in the table's order, and return their results."""
    wanted = set(names) if names is not None else set(CHECKS)
    unknown = wanted - CHECKS.keys()
    if unknown:
        raise KeyError(f"no setup check named {', '.join(sorted(unknown))}")
    probe = Probe()
    results: dict[str, Result] = {}
    for check in CHECKS.values():
        if check.name in wanted and check.applies():
            results[check.name] = _run_one(check, probe, results)
    return list(results.values())


def _run_one(check: Check, probe: Probe, earlier: dict[str, Result]) -> Result:
    failed = [earlier[n].title for n in check.needs if n in earlier and earlier[n].status == "fail"]
    if failed:
        finding = warn(f"not checked, as {' and '.join(failed)} failed")
    else:
        try:
            finding = check.run(probe)
        except Exception as error:
            logger.exception("setup check %s failed", check.name)
            finding = fail(
                f"the check itself failed ({type(error).__name__}: {error})",
                "See the log for the traceback; the other checks' results still stand.",
            )
    return Result(check.name, check.title, finding.status, finding.message, finding.fix)


def summary(results: list[Result], *, point_to_doctor: bool = True) -> str:
    """One line for ``make run``'s start: the counts, and which checks failed (and, where the
    fixes are not shown beside it, where to read them)."""
    counts = {status: sum(1 for r in results if r.status == status) for status in Status}
    text = f"Setup check: {counts[Status.OK]} ok, {counts[Status.WARN]} warn, "
    text += f"{counts[Status.FAIL]} fail"
    failed = [r.title for r in results if r.status == Status.FAIL]
    if failed:
        text += f" ({', '.join(failed)})"
        if point_to_doctor:
            text += "; `python manage.py doctor` says how to fix"
    return text


def exit_code(results: list[Result]) -> int:
    """0 when nothing failed (warnings included), 1 otherwise."""
    return 1 if any(r.status == Status.FAIL for r in results) else 0
