"""Local values for a checkout, shared by ``make run`` and ``manage.py`` (SPEC §3, §12).

What the environment and ``.env`` leave unset gets a local value: debug mode on, links to
``http://localhost:<port>``, Slack calls to the sandbox unless a real ``SLACK_TOKEN`` is given, and
the required secrets generated once and kept in ``<data dir>/local-secrets.env``. Both ``make run``
and ``manage.py`` read and write that one file, so they agree on the secrets (the encrypted data in
the embedded database stays readable) however many run at once.

``manage.py`` applies them only to a local run (:func:`is_local_run`); production, which turns
debug off or runs from the image, still stops on a missing secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from dotenv import dotenv_values, load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DOTENV = ROOT / ".env"
GENERATED_SECRETS = (
    "DJANGO_SECRET_KEY",
    "SLACK_SIGNING_SECRET",
    "CRON_TOKEN",
    "ENCRYPTED_FIELD_KEY",
)
SECRETS_FILE = "local-secrets.env"
FALSE_WORDS = {"0", "false", "no", "off"}


def data_dir() -> Path:
    """Where the embedded database and the local secrets live (``RESPONSE_DATA_DIR``)."""
    return Path(os.environ.get("RESPONSE_DATA_DIR") or ROOT / ".data")


def port() -> str:
    return os.environ.get("RESPONSE_PORT") or "8000"


def site_url() -> str:
    """The base of Response's links, as settings read it; the address ``make run`` prints."""
    return (os.environ.get("SITE_URL") or "").strip().rstrip("/") or f"http://localhost:{port()}"


def sandbox_api_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('SANDBOX_PORT') or '8999'}/api/"


def is_local_run() -> bool:
    """Whether ``manage.py`` runs in a developer's checkout, where local values may fill gaps.

    Not when debug is explicitly off (in the environment or ``.env``): that is how production is
    configured, and a missing secret there must stop startup. Not when a settings module is named
    (the test suite's, or production's chosen explicitly). Not in the image, which has no Makefile:
    a container must be given its secrets, never invent them. And with a database of its own
    (``DATABASE_URL``) only once ``make run`` has kept secrets here: a checkout deployed against
    a real database must not encrypt with a key it made up.
    """
    if os.environ.get("DJANGO_SETTINGS_MODULE") or not (ROOT / "Makefile").exists():
        return False
    if (_configured("DJANGO_DEBUG") or "").strip().lower() in FALSE_WORDS:
        return False
    return not _configured("DATABASE_URL") or (data_dir() / SECRETS_FILE).exists()


def _configured(name: str) -> str | None:
    """The variable as settings will see it: the environment first, then ``.env``."""
    value = os.environ.get(name)
    if not value and DOTENV.exists():
        value = dotenv_values(DOTENV).get(name)
    return value


def apply_if_local() -> None:
    """``manage.py``'s entry: the same local values as ``make run``, for a local run only."""
    if is_local_run():
        load_dotenv(DOTENV, override=False)
        apply_local_defaults(data_dir(), port())


def apply_local_defaults(directory: Path, http_port: str) -> None:
    """Fill in what the environment (``.env`` already loaded) leaves unset, as ``make run`` does."""
    env = os.environ
    _set_if_empty("DJANGO_DEBUG", "1")
    # Empty counts as unset, as settings read it: `SITE_URL=` in .env must not mean port 8000.
    _set_if_empty("SITE_URL", f"http://localhost:{http_port}")
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not env.get("SLACK_TOKEN"):
        _set_if_empty("SLACK_API_BASE_URL", sandbox_api_url())
    missing = [name for name in GENERATED_SECRETS if not env.get(name)]
    if missing:
        env.update(_stored_secrets(directory, missing))


def _set_if_empty(name: str, value: str) -> None:
    if not (os.environ.get(name) or "").strip():
        os.environ[name] = value


def _stored_secrets(directory: Path, names: list[str]) -> dict[str, str]:
    """The kept values of ``names``, generating (and keeping) those never generated before."""
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / SECRETS_FILE
    with _locked(directory):
        known = {k: v for k, v in dotenv_values(stored).items() if v} if stored.exists() else {}
        fresh = {name: secrets.token_urlsafe(32) for name in names if name not in known}
        if fresh:
            known.update(fresh)
            _write_private(stored, "".join(f"{k}={v}\n" for k, v in sorted(known.items())))
    return {name: known[name] for name in names}


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # make run and a manage.py started beside it on a fresh clone must not each generate their
    # own secrets: one would encrypt with a key the other never sees.
    with (directory / f"{SECRETS_FILE}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_private(path: Path, text: str) -> None:
    """Write the file readable by its owner only, replaced whole so no reader sees half of it."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
