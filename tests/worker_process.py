"""``manage.py procrastinate worker`` in a process of its own, on the test database: for tests
of what only a separate process shows (a worker killed, configuration read without a restart)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# Generous: a cold worker imports Django and the app before it takes its first job.
PATIENCE_SECONDS = 60


def database_url() -> str:
    """The database this test runs on, for a process started outside pytest."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(log_path: Path, **env: str) -> subprocess.Popen:
    """A worker with the production settings on the test database; ``env`` adds variables."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "response.settings",
        "DATABASE_URL": database_url(),
        "PROCRASTINATE_LOG_LEVEL": "INFO",
        **env,
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen, log_path: Path) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    print(log_path.read_text(errors="replace")[-5000:])  # shown when the test fails


def wait_for(what: str, condition: Callable[[], object], worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert worker.poll() is None, f"the worker exited ({worker.returncode}) before {what}"
        assert time.monotonic() < deadline, f"the worker never got to: {what}"
        time.sleep(0.1)
