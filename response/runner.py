"""``make run``: Response on one machine, with nothing to set up (SPEC §12).

Starts the embedded PostgreSQL (unless ``DATABASE_URL`` is set), applies migrations, then runs the
web server, the job worker and a cron ticker under honcho, their output interleaved. Ctrl-C stops
them all; the database stops last, when this process exits.

Values missing from the environment and ``.env`` get local ones (``response/local.py``, which
``manage.py`` shares): the required secrets are generated once and kept in
``.data/local-secrets.env`` (so encrypted data stays readable across runs), debug mode is on,
``SITE_URL`` is the address printed, and Slack calls go to the local sandbox address unless a real
``SLACK_TOKEN`` is set.
Then the Slack sandbox (``python -m sandbox``) runs beside them, with the same signing secret,
delivering to this web server and keeping its workspace in the data directory. With
``SLACK_TRANSPORT=socket``, ``manage.py slack_socket`` runs too and Slack's (or the sandbox's)
deliveries come over Socket Mode instead. The web server and the worker share
``<data dir>/metrics`` (emptied at each start): ``/metrics`` adds up both, when ``METRICS_TOKEN``
is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from dotenv import load_dotenv

from response import local

ROOT = local.ROOT


def main() -> int:
    load_dotenv(local.DOTENV, override=False)
    data_dir = local.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = local.port()
    # The same values manage.py fills in on its own (response/local.py), so the two agree.
    local.apply_local_defaults(data_dir, port)
    _share_metrics_directory(data_dir)

    if not os.environ.get("DATABASE_URL"):
        from response.embedded_db import embedded_database_url

        # This process holds the embedded server; the children reach it through DATABASE_URL
        # and never attach to it, so it stops when this process exits.
        os.environ["DATABASE_URL"] = embedded_database_url(data_dir)
        print(f"Database: embedded PostgreSQL in {data_dir / 'postgres'}", flush=True)

    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True, cwd=ROOT)
    _create_admin_if_asked(manage)
    processes = {
        "web": f"{_quote(manage)} runserver 127.0.0.1:{port} --noreload",
        # Started again if it stops (it does when it loses the database), as compose would.
        "worker": _quote([sys.executable, "-m", "response.keep_running", *manage])
        + " procrastinate worker",
        "cron": f"{_quote([sys.executable, '-m', 'response.ticker'])}",
    }
    if os.environ.get("SLACK_TRANSPORT", "").strip().lower() == "socket":
        # Slack's deliveries come over the WebSocket this process opens (SPEC §17).
        processes["socket"] = f"{_quote(manage)} slack_socket"
    sandbox = _uses_sandbox()
    if sandbox:
        _configure_sandbox(data_dir, port)
        processes["sandbox"] = _quote([sys.executable, "-m", "sandbox"])
    _print_banner(sandbox=sandbox)
    _report_setup_check(manage, port)
    return _supervise(processes)


def _share_metrics_directory(data_dir: Path) -> None:
    """The web server and the worker write their figures to one directory, so that /metrics adds
    them up; emptied at each start, as figures from processes of an earlier run are stale."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return  # chosen by the developer, and theirs to manage
    directory = data_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _uses_sandbox() -> bool:
    """No real token and Slack calls going to the local sandbox: then the sandbox must run."""
    return not os.environ.get("SLACK_TOKEN") and (
        os.environ.get("SLACK_API_BASE_URL") == local.sandbox_api_url()
    )


def _configure_sandbox(data_dir: Path, port: str) -> None:
    env = os.environ
    env.setdefault("SANDBOX_PORT", "8999")
    env.setdefault("SANDBOX_RESPONSE_URL", f"http://127.0.0.1:{port}")
    # Response's database refers to the sandbox's channels, so the sandbox keeps them too.
    env.setdefault("SANDBOX_STATE_FILE", str(data_dir / "sandbox-state.json"))


def _create_admin_if_asked(manage: list[str]) -> None:
    if not (
        os.environ.get("DJANGO_SUPERUSER_USERNAME") and os.environ.get("DJANGO_SUPERUSER_PASSWORD")
    ):
        return
    env = {**os.environ, "DJANGO_SUPERUSER_EMAIL": os.environ.get("DJANGO_SUPERUSER_EMAIL", "")}
    result = subprocess.run(
        [*manage, "createsuperuser", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 and "already taken" not in result.stderr:
        sys.stderr.write(result.stderr)


def _print_banner(*, sandbox: bool) -> None:
    # SITE_URL itself: the links Response posts into Slack then lead to the host people log in on.
    site = local.site_url()
    slack = os.environ.get("SLACK_API_BASE_URL", "https://slack.com/api/")
    first = []
    if sandbox:
        page = f"http://127.0.0.1:{os.environ['SANDBOX_PORT']}/"
        first = ["", f"Open {page} to use Response as a Slack user (the Slack sandbox)."]
    print(
        "\n".join(
            [
                *first,
                "",
                "Response is starting:",
                f"  health       {site}/healthz",
                f"  Slack app    {site}/slack/manifest  (the manifest to create the Slack app)",
                f"  admin        {site}/admin/  (create a login: "
                ".venv/bin/python manage.py createsuperuser)",
                f"  Slack API    {slack}",
                "Press Ctrl-C to stop everything.",
                "",
            ]
        ),
        flush=True,
    )


# How long the setup check's summary waits for the web server, and may take itself. It re-checks
# for a while what fails at first (the worker, the sandbox may still be starting).
SETUP_CHECK_WAIT_SECONDS = 120
SETUP_CHECK_SETTLE_SECONDS = "15"


def _report_setup_check(manage: list[str], port: str) -> None:
    """Print the setup check's one-line summary (``doctor --summary``) once the web server
    answers. It runs beside the processes, so start-up never waits for it, and whatever goes
    wrong in it (Slack down, say) ends in that line, not in start-up."""
    threading.Thread(target=_setup_check_summary, args=(manage, port), daemon=True).start()


def _setup_check_summary(manage: list[str], port: str) -> None:
    try:
        if not _wait_until_answers(f"http://127.0.0.1:{port}/healthz", SETUP_CHECK_WAIT_SECONDS):
            return  # the web server's own output says why it did not start
        result = subprocess.run(
            [*manage, "doctor", "--summary", "--settle", SETUP_CHECK_SETTLE_SECONDS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SETUP_CHECK_WAIT_SECONDS,
        )
        lines = result.stdout.strip().splitlines()
        # Without its line, doctor could not start: its last word on stderr says why.
        reason = (result.stderr.strip().splitlines() or ["manage.py doctor printed nothing"])[-1]
        print(lines[-1] if lines else f"Setup check: did not run ({reason})", flush=True)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"Setup check: did not run ({error})", flush=True)


def _wait_until_answers(url: str, seconds: float) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=5):
                return True
        except OSError:  # URLError and HTTPError included: not answering 200 yet
            time.sleep(0.5)
    return False


def _supervise(commands: dict[str, str]) -> int:
    from honcho.manager import Manager

    manager = Manager()
    for name, command in commands.items():
        manager.add_process(name, command, env=dict(os.environ), cwd=str(ROOT))
    manager.loop()
    # Ctrl-C is how people stop it: that is a clean exit, not a failure.
    return 0 if manager.returncode in (None, 0, 130, -2) else manager.returncode


def _quote(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(part) for part in argv)


if __name__ == "__main__":
    sys.exit(main())
