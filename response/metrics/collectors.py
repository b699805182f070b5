"""Figures read from the database when Prometheus scrapes, one query each.

They describe shared state (the queue, the incidents), not one process's work, so they are not
kept in the multi-process files: every replica reads them afresh and reports the same value. A
database that does not answer leaves its family out of that scrape, logged, rather than failing
the whole scrape: the process's own figures matter most exactly then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core import selectors
from core.models import Severity

logger = logging.getLogger(__name__)

NO_SEVERITY = selectors.NO_SEVERITY


class QueueBacklogCollector(Collector):
    """``response_job_queue_backlog{queue,task}``: jobs waiting to run (due now or later)."""

    def collect(self) -> Iterator[Metric]:
        try:
            waiting = list(
                ProcrastinateJob.objects.filter(status="todo")
                .values("queue_name", "task_name")
                .annotate(jobs=Count("id"))
                .order_by()
            )
        except DatabaseError as error:
            logger.warning("metrics: could not read the job queue: %s", error)
            return
        family = GaugeMetricFamily(
            "response_job_queue_backlog",
            "Jobs waiting to run, by queue and task (read from the queue at scrape time).",
            labels=["queue", "task"],
        )
        # Every known task is reported, at 0 when nothing waits, so an empty queue is a series
        # at zero rather than no series at all.
        counts = {(task.queue, name): 0 for name, task in app.tasks.items()}
        for row in waiting:
            counts[(row["queue_name"], row["task_name"])] = row["jobs"]
        for (queue, task), jobs in sorted(counts.items()):
            family.add_metric([queue, task], jobs)
        yield family


class OpenIncidentsCollector(Collector):
    """``response_open_incidents{severity}``: incidents in a live status, by severity."""

    def collect(self) -> Iterator[Metric]:
        try:
            rows = list(
                # "Open" as the incident list's filter means it: any live status.
                selectors.incident_search(status=selectors.OPEN)
                .order_by()
                .values("severity")
                .annotate(incidents=Count("id"))
            )
        except DatabaseError as error:
            logger.warning("metrics: could not count the open incidents: %s", error)
            return
        counts = {severity.label: 0 for severity in Severity}
        counts[NO_SEVERITY] = 0
        for row in rows:
            severity = row["severity"]
            label = Severity(severity).label if severity is not None else NO_SEVERITY
            counts[label] += row["incidents"]
        family = GaugeMetricFamily(
            "response_open_incidents",
            "Incidents in a live status (triage to monitoring), by severity (read at scrape time).",
            labels=["severity"],
        )
        for label, incidents in counts.items():
            family.add_metric([label], incidents)
        yield family


def database_collectors() -> tuple[Collector, ...]:
    return (QueueBacklogCollector(), OpenIncidentsCollector())
