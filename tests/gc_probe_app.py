"""A WSGI app that answers with its process's garbage-collector settings, for
``tests/test_gunicorn_conf.py`` to read them from inside a gunicorn worker."""

from __future__ import annotations

import gc
import json


def application(environ: dict, start_response) -> list[bytes]:
    body = json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()})
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode()]
