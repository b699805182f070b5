"""gunicorn's own settings that follow Response's: ``gunicorn -c python:response.gunicorn_conf``.

gunicorn configures its loggers (its error log, the access log) itself, outside Django's LOGGING;
with LOG_FORMAT=json they print JSON objects too, so that a pod's output is one format.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from response.gc_tuning import freeze_what_is_loaded

# /metrics adds up every worker's figures through files in one directory (response/metrics). The
# variable must be set before a worker imports prometheus-client. Given, the directory is shared
# with others (the job worker beside this server) and outlives this server; not given, this
# server makes one of its own under /tmp (writable in the image and the pods) and removes it when
# it stops, so that restarts and test runs leave nothing behind.
_OWN_METRICS_DIR = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _OWN_METRICS_DIR = tempfile.mkdtemp(prefix="response-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _OWN_METRICS_DIR


def child_exit(server: object, worker: object) -> None:
    """A worker that exits leaves its counts behind (they still add up), but not its live gauges."""
    # Imported here, not at the top: the master must not load prometheus-client before the
    # directory above is set, or it and every worker it forks would count in memory only.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded Response, its start-up objects stay out of the garbage
    collections (``response/gc_tuning.py``: the slowest requests halve)."""
    freeze_what_is_loaded()


def on_exit(server: object) -> None:
    if _OWN_METRICS_DIR is not None:
        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)


# The access line names the request id the middleware answered with, to join it to the app's lines.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'

if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
