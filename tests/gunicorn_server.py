"""gunicorn as ``startup.sh`` runs it (Response's gunicorn settings), for the tests that need
real worker processes: its figures adding up, its log lines, its workers' garbage collector."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.run import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_until_listening(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("gunicorn did not start listening")


def get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": "testserver", **headers})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    *options: str,
    log: Path,
    app: str = "response.wsgi:application",
    workers: int = 2,
) -> Iterator[str]:
    """``app`` served by gunicorn with Response's gunicorn settings; yields its base URL. What
    gunicorn writes to stderr is in ``log`` once it has stopped (its end also printed, shown
    when the test fails)."""
    port = free_port()
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", app),
                *("-c", "python:response.gunicorn_conf", "--bind", f"127.0.0.1:{port}"),
                *("--workers", str(workers), *options),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            wait_until_listening(server, port)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)
            print(log.read_text()[-5000:])
