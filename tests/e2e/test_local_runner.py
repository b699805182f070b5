"""`make run` as a newcomer meets it: no .env, no database, the README's admin-creation command
in a second terminal, a login at the printed address, then Ctrl-C (SPEC §12)."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

from bench.run import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCAL_VARIABLES = (
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "SLACK_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_BASE_URL",
    "CRON_TOKEN",
    "ENCRYPTED_FIELD_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
)


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


def _wait_for(url: str, runner: subprocess.Popen, seconds: float) -> tuple[int, bytes]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if runner.poll() is not None:
            pytest.fail(f"the runner exited early:\n{runner.stdout.read()}")
        try:
            return _get(url)
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {seconds} s")


def _postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "postgres" in (process.info["name"] or "") and str(data_dir) in cmdline:
            found.append(process)
    return found


def _createsuperuser_beside_the_runner(env: dict[str, str], data_dir: Path) -> None:
    """The README's `manage.py createsuperuser`, typed in another terminal while make run is up."""
    secrets_file = data_dir / "local-secrets.env"
    kept = secrets_file.read_text()
    created = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SUPERUSER_USERNAME": "second-terminal",
            "DJANGO_SUPERUSER_EMAIL": "second@example.com",
            "DJANGO_SUPERUSER_PASSWORD": NEWCOMER_PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    assert secrets_file.read_text() == kept, "manage.py must use the runner's secrets"


NEWCOMER_PASSWORD = "a-long-local-password"


def _log_in_at_the_printed_address(port: int, username: str, password: str) -> str:
    """The README's next step: open the printed address and sign in with the new account.
    Returns the page the login lands on."""
    site = f"http://localhost:{port}"
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        urllib.request.ProxyHandler({}),
    )
    with browser.open(f"{site}/", timeout=10) as answer:  # not signed in: sent to the login page
        login_url, form = answer.url, answer.read().decode()
    assert "/login/" in login_url, login_url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    fields = {"csrfmiddlewaretoken": token, "username": username, "password": password}
    posted = urllib.request.Request(  # noqa: S310 (loopback only)
        login_url, data=urllib.parse.urlencode(fields).encode(), headers={"Referer": login_url}
    )
    with browser.open(posted, timeout=10) as answer:
        landed, page = answer.url, answer.read().decode()
    assert "/login/" not in landed, f"the login was refused: {page[:2000]}"
    return page


@pytest.mark.slow
def test_make_run_serves_then_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    sandbox_port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in LOCAL_VARIABLES}
    # The Slack sandbox starts too: on a free port, so that a running make run does not clash.
    env.update(
        RESPONSE_DATA_DIR=str(tmp_path / "data"),
        RESPONSE_PORT=str(port),
        SANDBOX_PORT=str(sandbox_port),
    )
    runner = subprocess.Popen(
        [sys.executable, "-m", "response.runner"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, body = _wait_for(f"http://127.0.0.1:{port}/healthz", runner, 120)
        assert status == 200
        assert b'"ok"' in body
        status, manifest = _get(f"http://127.0.0.1:{port}/slack/manifest")
        assert status == 200
        assert f"http://localhost:{port}/slack/event".encode() in manifest
        assert _postgres_processes(tmp_path / "data"), "the embedded PostgreSQL should run"
        worker_up = any(
            "procrastinate" in " ".join(child.cmdline())
            for child in psutil.Process(runner.pid).children(recursive=True)
        )
        assert worker_up, "the job worker should run beside the web server"
        _createsuperuser_beside_the_runner(env, tmp_path / "data")
        page = _log_in_at_the_printed_address(port, "second-terminal", NEWCOMER_PASSWORD)
        assert "second-terminal" in page, "the incident list, signed in as the new account"
        status, page = _wait_for(f"http://127.0.0.1:{sandbox_port}/", runner, 30)
        assert status == 200 and b"<html" in page.lower(), "the Slack sandbox's page"

        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, _ = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            # A failed assertion above leaves it running: stop what it started too, or the web
            # server, the worker and the sandbox outlive the test.
            for child in psutil.Process(runner.pid).children(recursive=True):
                child.kill()
            runner.kill()

    assert runner.returncode == 0, output
    assert "web stopped" in output and "worker stopped" in output
    assert "sandbox stopped" in output
    # The printed address is SITE_URL, so links posted into Slack lead to the same host.
    assert f"health       http://localhost:{port}/healthz" in output
    opening = output.index(f"Open http://127.0.0.1:{sandbox_port}/ to use Response as a Slack user")
    assert opening < output.index("Response is starting"), "the sandbox's page comes first"
    deadline = time.monotonic() + 10
    while _postgres_processes(tmp_path / "data") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _postgres_processes(tmp_path / "data") == []
