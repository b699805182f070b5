"""Response's Prometheus metrics (SPEC §19): what is counted where, and how a scrape adds it up.

Counted in the process where it happens:

- ``response_http_request_duration_seconds{route,method,status}``: every HTTP request, by the
  name of the URL pattern it matched (never the raw path: ids in paths would make a series each);
- ``response_slack_api_calls_total{method,result}``: every Slack Web API call, ``result`` being
  ``ok``, Slack's error code, or ``exception`` when no answer came back;
- ``response_jobs_total{task,state}`` and ``response_job_duration_seconds{task}``: every job run,
  ``state`` being ``succeeded``, ``retried`` (it will run again) or ``failed`` (it gave up);
- ``response_reminder_sweep_duration_seconds{result}``: each cron-minute run of the reminder
  sweep, ``result`` being ``ok`` or ``error``.

Read from the database at scrape time (``response.metrics.collectors``), so that every replica
reports the same figure: ``response_job_queue_backlog{queue,task}`` and
``response_open_incidents{severity}``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each process writes its figures to files in that directory
(prometheus-client's multi-process mode) and a scrape sums them: gunicorn's workers, and a job
worker on the same host, add up instead of each answering with its own share. The variable must
be set before prometheus-client is imported: ``response/gunicorn_conf.py`` sets it for gunicorn,
settings for a local run. Without it, figures stay in the process (``manage.py runserver``, tests).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# The ``_created`` series say when a process first counted; multi-process mode has none, so a
# single process leaves them out too and both modes expose the same series.
disable_created_metrics()

# Slack must be answered within 3 s: buckets around that line tell a slow answer from a lost one.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
# Jobs wait on Slack (about 100 ms a call, a few calls a job); a stuck one runs for minutes.
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

REQUEST_DURATION = Histogram(
    "response_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern name, method and status code.",
    ["route", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
SLACK_API_CALLS = Counter(
    "response_slack_api_calls",
    "Slack Web API calls, by method and result (ok, Slack's error code, or exception).",
    ["method", "result"],
)
JOBS = Counter(
    "response_jobs",
    "Job runs that ended, by task and state (succeeded, retried, failed).",
    ["task", "state"],
)
JOB_DURATION = Histogram(
    "response_job_duration_seconds",
    "Time one run of a job took, whatever its outcome, by task.",
    ["task"],
    buckets=JOB_BUCKETS,
)
# Labelled even though it has one natural series: an unlabelled metric creates its file in the
# multi-process directory as soon as it is defined, so every short-lived ``manage.py`` command
# (a healthcheck every minute, say) would leave a file there; labelled ones wait for a value.
SWEEP_DURATION = Histogram(
    "response_reminder_sweep_duration_seconds",
    "Time one cron-minute run of the reminder sweep took, by result (ok, or error: it raised).",
    ["result"],
    buckets=JOB_BUCKETS,
)

# Labels come from a fixed vocabulary; anything else is folded into one value, so that a caller
# passing free text (a proxy's error page, say) cannot create a series per request.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_CODE = re.compile(r"[A-Za-z0-9_.]{1,64}")


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    """Record one answered HTTP request."""
    method = method if method in _METHODS else "other"
    REQUEST_DURATION.labels(route=route, method=method, status=str(status)).observe(seconds)


def count_slack_call(*, method: str, result: str) -> None:
    """Record one Slack Web API call: ``result`` is ``ok``, an error code or ``exception``."""
    if not _CODE.fullmatch(result):
        result = "error"
    method = method if _CODE.fullmatch(method) else "other"
    SLACK_API_CALLS.labels(method=method, result=result).inc()


@contextlib.contextmanager
def observe_job(task: str, *, will_retry: Callable[[Exception], bool]) -> Iterator[None]:
    """Count one run of ``task`` by how it ended and time it; ``will_retry`` tells retried from
    failed for a run that raised."""
    started = time.perf_counter()
    try:
        yield
    except Exception as error:
        JOBS.labels(task=task, state="retried" if will_retry(error) else "failed").inc()
        raise
    else:
        JOBS.labels(task=task, state="succeeded").inc()
    finally:
        JOB_DURATION.labels(task=task).observe(time.perf_counter() - started)


@contextlib.contextmanager
def observe_sweep() -> Iterator[None]:
    """Time one run of the reminder sweep, whether it ends normally or raises."""
    started = time.perf_counter()
    result = "error"
    try:
        yield
        result = "ok"
    finally:
        SWEEP_DURATION.labels(result=result).observe(time.perf_counter() - started)


def multiproc_dir() -> str | None:
    """The directory the processes share their figures through, if multi-process mode is on."""
    return os.environ.get(MULTIPROC_DIR_VARIABLE) or None


def scrape_registry(*extra: Collector) -> CollectorRegistry:
    """What one scrape reports: every process's figures (or this process's) plus ``extra``.

    In multi-process mode the figures come from the shared files only; this process's own
    registry would report its share a second time.
    """
    directory = multiproc_dir()
    if directory is None:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    else:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
    for collector in extra:
        registry.register(collector)
    return registry


class _Forward(Collector):
    """Everything in another registry (this process's default one), for one scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self):  # type: ignore[no-untyped-def]
        return self.registry.collect()
