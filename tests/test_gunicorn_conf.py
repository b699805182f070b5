"""gunicorn's settings (response/gunicorn_conf.py): its own lines follow LOG_FORMAT too, and a
worker keeps what it loaded at start out of the garbage collections."""

from __future__ import annotations

import json
import os

from tests.gunicorn_server import get, gunicorn


def test_gunicorn_logs_json_lines_with_the_request_id_in_the_access_line(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "LOG_FORMAT"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing",
        LOG_FORMAT="json",
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, "--access-logfile", "-", log=log, workers=1) as base:
        status, _ = get(f"{base}/no-such-page", **{"X-Request-ID": "gunicorn-test-1"})
    assert status == 404
    records = [json.loads(line) for line in log.read_text().splitlines()]
    (access,) = [r for r in records if r["logger"] == "gunicorn.access"]
    assert access["message"].endswith(" gunicorn-test-1")
    assert any(r["logger"] == "gunicorn.error" for r in records)


def test_a_worker_freezes_what_it_loaded_at_start(tmp_path):
    """The worker's start-up objects are frozen and collections come less often; read
    from inside a real worker, so a hook gunicorn does not call would fail it."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    app = "tests.gc_probe_app:application"
    with gunicorn(env, app=app, workers=1, log=tmp_path / "gunicorn.log") as base:
        status, body = get(f"{base}/")
    assert status == 200
    settings = json.loads(body)
    assert settings["frozen"] > 1000
    assert settings["threshold"] == [2000, 10, 50]
