"""Socket Mode in docker compose (SPEC §17): the ``socket`` service, in the ``socket`` profile,
runs ``manage.py slack_socket`` from the same image once the database is migrated."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose_config(directory: Path, *arguments: str) -> dict:
    """``docker-compose … config`` on a clean copy with no .env, as on a fresh clone."""
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    for name in ("docker-compose.yml", "docker-compose.dev.yml", "Dockerfile"):
        shutil.copy(ROOT / name, directory / name)
    shutil.copytree(ROOT / "cron", directory / "cron")
    result = subprocess.run(
        [compose, *arguments, "config"],
        cwd=directory,
        env={"PATH": os.environ["PATH"], "HOME": str(directory)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_the_socket_service_runs_only_in_its_profile(tmp_path):
    services = compose_config(tmp_path, "--profile", "socket")

    socket = services["socket"]
    assert socket["profiles"] == ["socket"]  # `docker compose up` alone does not start it
    assert socket["command"] == ["socket"]  # startup.sh socket: waits for migrations first
    assert socket["image"] == services["worker"]["image"]
    assert {"SLACK_TRANSPORT", "SLACK_APP_TOKEN"} <= set(socket["environment"])
    assert {"SLACK_TRANSPORT", "SLACK_APP_TOKEN"} <= set(services["response"]["environment"])


def test_the_dev_override_mounts_the_checkout_into_the_socket_service(tmp_path):
    services = compose_config(
        tmp_path, "-f", "docker-compose.yml", "-f", "docker-compose.dev.yml", "--profile", "socket"
    )

    targets = [
        v.split(":")[1] if isinstance(v, str) else v["target"]
        for v in services["socket"]["volumes"]
    ]
    assert "/app" in targets


def test_startup_runs_slack_socket_after_the_migrations():
    script = (ROOT / "startup.sh").read_text()
    role = script.split("\nsocket)\n", 1)[1].split(";;", 1)[0]

    assert role.index("wait_for_migrations") < role.index("exec python manage.py slack_socket")
