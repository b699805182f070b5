"""The reminder sweep behind ``/slack/cron_minute`` (SPEC §6.9 and §8).

Reminders are registered with ``@recurring_notification`` / ``@single_notification``. Occurrence
``n`` (from 0) of a reminder is due at::

    comms channel created_at + initial_delay + n * interval

for open incidents that have a comms channel, while fewer than ``max_notifications`` were sent.

One sweep, in one transaction and a constant number of queries whatever the number of incidents
(SQL where the ORM has no such statement; ``tests/slack/test_sweep_race.py`` and
``test_reminders.py``'s query count show why):

1. make sure every (open incident, reminder) pair has a ledger row (one ``INSERT … SELECT``);
2. lock the due ledger rows with ``FOR UPDATE SKIP LOCKED``: a sweep running at the same moment on
   another replica skips them, and sees them as sent once this one commits;
3. run each due reminder's handler with posts gathered, not sent. A handler that posts nothing
   (its condition no longer holds) is neither posted nor counted; one that raises is logged and
   skipped, and the others go on;
4. count what was posted (one ``UPDATE``) and defer the posts (one ``INSERT``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from core.selectors import HELD_ROLES
from response import metrics
from slack import registry
from slack.delivery import outbox
from slack.flows.reminders.models import Notification
from slack.flows.reminders.services import reminders_count_sent

logger = logging.getLogger(__name__)


@dataclass
class SweepSummary:
    due: int = 0
    claimed: int = 0
    deferred: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@metrics.observe_sweep()
def sweep(*, now: dt.datetime | None = None) -> SweepSummary:
    """Post every due reminder exactly once; safe to run from any number of replicas at once."""
    now = now or timezone.now()
    schedule = _schedule()
    summary = SweepSummary()
    if not schedule:
        return summary
    with transaction.atomic():
        _create_missing_ledger_rows(schedule)
        due_ids = _lock_due_rows(schedule, now)
        summary.due = summary.claimed = len(due_ids)
        if not due_ids:
            return summary
        ledger = list(
            Notification.objects.filter(id__in=due_ids)
            .select_related("incident__comms_channel", "incident__reporter")
            # The lead is a role: every row's roles in one more query, not one per reminder.
            .prefetch_related(Prefetch("incident__role_assignments", queryset=HELD_ROLES.queryset))
            .order_by("incident_id", "key")
        )
        posts, sent = _run_handlers(ledger, summary)
        reminders_count_sent(rows=sent, now=now)
        outbox.defer_posts(posts)
        summary.deferred = len(posts)
    logger.info("reminder sweep: %s", summary.as_dict())
    return summary


def _schedule() -> list[tuple[str, int, int, int]]:
    """(key, initial delay, interval, maximum) of every registered reminder, in minutes."""
    return [
        (
            entry.key,
            entry.options["initial_delay_mins"],
            entry.options["interval_mins"],
            entry.options["max_notifications"],
        )
        for entry in registry.notifications
    ]


def _values_sql(schedule: list[tuple[str, int, int, int]]) -> tuple[str, list[Any]]:
    rows = ", ".join(["(%s::text, %s::int, %s::int, %s::int)"] * len(schedule))
    params = [value for entry in schedule for value in entry]
    return f"schedule(key, initial_delay, interval_mins, max_sent) AS (VALUES {rows})", params


def _create_missing_ledger_rows(schedule: list[tuple[str, int, int, int]]) -> None:
    values, params = _values_sql(schedule)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {values}
            INSERT INTO slack_notification (incident_id, key, times_sent)
            SELECT incident.id, schedule.key, 0
            FROM core_incident AS incident
            JOIN slack_commschannel AS channel ON channel.incident_id = incident.id
            CROSS JOIN schedule
            WHERE incident.end_time IS NULL
            ON CONFLICT (incident_id, key) DO NOTHING
            """,  # noqa: S608 (the interpolated part is placeholders only)
            params,
        )


def _lock_due_rows(schedule: list[tuple[str, int, int, int]], now: dt.datetime) -> list[int]:
    values, params = _values_sql(schedule)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {values}
            SELECT ledger.id
            FROM slack_notification AS ledger
            JOIN schedule ON schedule.key = ledger.key
            JOIN core_incident AS incident ON incident.id = ledger.incident_id
            JOIN slack_commschannel AS channel ON channel.incident_id = ledger.incident_id
            WHERE incident.end_time IS NULL
              AND ledger.times_sent < schedule.max_sent
              AND channel.created_at
                  + make_interval(
                      mins => schedule.initial_delay + ledger.times_sent * schedule.interval_mins
                    ) <= %s
            ORDER BY ledger.id
            FOR UPDATE OF ledger SKIP LOCKED
            """,  # noqa: S608 (the interpolated part is placeholders only)
            [*params, now],
        )
        return [row[0] for row in cursor.fetchall()]


def _run_handlers(
    ledger: list[Notification], summary: SweepSummary
) -> tuple[list[dict[str, Any]], list[Notification]]:
    posts: list[dict[str, Any]] = []
    sent: list[Notification] = []
    for row in ledger:
        entry = registry.notifications.get(row.key)
        if entry is None:  # unregistered since the rows were locked
            continue
        try:
            with outbox.collecting_posts() as gathered:
                entry.run(row.incident)
        except Exception:
            summary.failed += 1
            logger.exception("reminder %s failed for incident %s", row.key, row.incident_id)
            continue
        if gathered:
            posts.extend(gathered)
            sent.append(row)
        else:
            summary.skipped += 1
    return posts, sent
