"""gunicorn's settings (response/gunicorn_conf.py): its own lines follow LOG_FORMAT too, and a
worker keeps what it loaded at start out of the garbage collections."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answer_once_up(request: urllib.request.Request) -> tuple[int, bytes]:
    """gunicorn's answer to ``request`` (status, body), asked again until it listens."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (loopback)
                return answer.status, answer.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read()
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)


def test_gunicorn_logs_json_lines_with_the_request_id_in_the_access_line(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing",
        LOG_FORMAT="json",
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "response.wsgi:application",
            "-c",
            "python:response.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/no-such-page",
            headers={"Host": "testserver", "X-Request-ID": "gunicorn-test-1"},
        )
        status, _ = _answer_once_up(request)
        assert status == 404
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    records = [json.loads(line) for line in err.splitlines()]
    (access,) = [r for r in records if r["logger"] == "gunicorn.access"]
    assert access["message"].endswith(" gunicorn-test-1")
    assert any(r["logger"] == "gunicorn.error" for r in records)


def test_a_worker_freezes_what_it_loaded_at_start(tmp_path):
    """The worker's start-up objects are frozen and collections come less often; read
    from inside a real worker, so a hook gunicorn does not call would fail it."""
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "tests.gc_probe_app:application"),
            *("-c", "python:response.gunicorn_conf", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "1"),
        ],
        cwd=ROOT,
        env={**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)},
        stderr=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        _, body = _answer_once_up(urllib.request.Request(f"http://127.0.0.1:{port}/"))
        settings = json.loads(body)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert settings["frozen"] > 1000
    assert settings["threshold"] == [2000, 10, 50]
