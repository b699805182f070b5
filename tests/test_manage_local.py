"""``manage.py`` on a fresh checkout, as the README has people run it (SPEC §3, §12).

No ``.env``, none of the secrets: ``manage.py`` must fill in the same local values as ``make run``
(the secrets in the data directory's ``local-secrets.env``, the embedded database), and production
settings must still stop on a missing secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from response import local
from tests.settings import TEST_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
# What a newcomer's shell does not have: pytest's settings and the test suite's forced values.
NOT_IN_A_FRESH_SHELL = {
    *TEST_ENVIRONMENT,
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "SITE_URL",
    "RESPONSE_PORT",
    "SANDBOX_PORT",
}

pytestmark = pytest.mark.skipif(
    (ROOT / ".env").exists(), reason="this checkout has a .env; the test is about a fresh clone"
)


def _fresh_shell(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NOT_IN_A_FRESH_SHELL}
    return {**env, "RESPONSE_DATA_DIR": str(data_dir), **extra}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_manage_py_works_on_a_fresh_checkout_with_the_runners_secrets(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    admin = {
        "DJANGO_SUPERUSER_USERNAME": "newcomer",
        "DJANGO_SUPERUSER_EMAIL": "newcomer@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "a-long-local-password",
    }

    checked = _manage(_fresh_shell(data_dir), "check")
    assert checked.returncode == 0, checked.stderr
    migrated = _manage(_fresh_shell(data_dir), "migrate", "--noinput", "-v", "0")  # make migrate
    assert migrated.returncode == 0, migrated.stderr
    created = _manage(_fresh_shell(data_dir, **admin), "createsuperuser", "--noinput")
    assert created.returncode == 0, created.stderr
    assert "Superuser created successfully" in created.stdout

    stored = dotenv_values(data_dir / "local-secrets.env")
    assert set(stored) == set(local.GENERATED_SECRETS)
    # The runner, started next, must use these very values, not generate others.
    for name in [*NOT_IN_A_FRESH_SHELL, *local.GENERATED_SECRETS]:
        monkeypatch.delenv(name, raising=False)
    local.apply_local_defaults(data_dir, "8000")
    assert {name: os.environ[name] for name in local.GENERATED_SECRETS} == stored


def test_production_settings_still_stop_on_a_missing_secret(tmp_path):
    env = _fresh_shell(tmp_path / "data", DJANGO_DEBUG="0")

    result = _manage(env, "check")

    assert result.returncode == 2
    assert "is not set" in result.stderr
    assert not (tmp_path / "data" / "local-secrets.env").exists()


@pytest.mark.parametrize(
    ("environment", "kept_secrets", "expected"),
    [
        ({}, False, True),
        ({"DJANGO_DEBUG": "1"}, False, True),
        ({"DJANGO_DEBUG": "0"}, False, False),
        ({"DJANGO_DEBUG": "0"}, True, False),
        ({"DJANGO_SETTINGS_MODULE": "response.settings"}, False, False),
        ({"DJANGO_SETTINGS_MODULE": "tests.settings"}, False, False),
        # A checkout deployed against its own database, never run locally: no invented secrets.
        ({"DATABASE_URL": "postgres://db/response"}, False, False),
        # make run against a database of one's own has kept secrets: manage.py uses them too.
        ({"DATABASE_URL": "postgres://db/response"}, True, True),
    ],
)
def test_local_defaults_apply_only_to_a_local_run(
    monkeypatch, tmp_path, environment, kept_secrets, expected
):
    for name in ("DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RESPONSE_DATA_DIR", str(tmp_path))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    if kept_secrets:
        (tmp_path / local.SECRETS_FILE).write_text("CRON_TOKEN=kept\n")

    assert local.is_local_run() is expected
