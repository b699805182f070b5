"""``python -m response.keep_running``: what ``make run`` wraps the worker in."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Fails on its first run (leaving a mark), succeeds on the next.
FAILS_ONCE = (
    "import pathlib, sys; mark = pathlib.Path(sys.argv[1]); "
    "first = not mark.exists(); mark.touch(); sys.exit(3 if first else 0)"
)


def keep_running(*argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "response.keep_running", *argv],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_command_that_fails_is_started_again_until_it_exits_cleanly(tmp_path):
    process = keep_running(sys.executable, "-c", FAILS_ONCE, str(tmp_path / "ran"))

    assert process.wait(timeout=30) == 0
    assert "exited with status 3; starting it again" in process.stderr.read()


def test_sigterm_stops_the_command_and_does_not_start_it_again(tmp_path):
    started = tmp_path / "started"
    process = keep_running(
        sys.executable,
        "-c",
        f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(60)",
    )
    deadline = time.monotonic() + 30
    while not started.exists():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=10) == 128 + signal.SIGTERM
    assert "starting it again" not in process.stderr.read()
