"""Each delivery from Slack is accepted once (SPEC §4).

Slack retries an event it thinks was not acknowledged, with the same ``event_id``; a click can
arrive twice. Each is recorded under a unique constraint in the transaction that defers its job,
so a repeat defers nothing; the job marks its delivery handled in the transaction of the
handlers' work, so a job run again after it committed does nothing. Ids are forgotten after a
day by a periodic job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app

from slack.delivery.jobs import job
from slack.incoming.models import ProcessedEvent

logger = logging.getLogger(__name__)


def record_once(key: str, kind: str) -> bool:
    """Insert the key; True if it was new. One statement, safe against concurrent deliveries.

    SQL, because the ORM has no ``INSERT … ON CONFLICT DO NOTHING RETURNING``: a check first
    and an insert after lets a racing retry through (``tests/slack/test_event_acceptance.py``).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO slack_processedevent (event_id, event_type, received_at) "
            "VALUES (%s, %s, now()) ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [key, kind],
        )
        return cursor.fetchone() is not None


def mark_handled(event_id: str) -> bool:
    """Mark the delivery handled; False if a committed run already did (locks the row)."""
    if not event_id:
        return True
    updated = ProcessedEvent.objects.filter(event_id=event_id, handled_at__isnull=True).update(
        handled_at=timezone.now()
    )
    if updated:
        return True
    # No row at all: the delivery was accepted before its id was recorded; handle it.
    return not ProcessedEvent.objects.filter(event_id=event_id).exists()


def action_key(payload: dict[str, Any], index: int) -> str:
    """A block action has no id of its own; the same click sent twice has the same content."""
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:40]
    return f"action:{digest}:{index}"


# Slack retries an event for about five minutes; a day of ids is plenty to recognise a retry.
KEEP_EVENT_IDS_FOR = dt.timedelta(days=1)


@app.periodic(cron="23 * * * *", periodic_id="prune-processed-events")
@job("slack.prune_processed_events")
def prune_processed_events(timestamp: int) -> int:
    """Forget delivery ids older than a day; returns how many were removed."""
    removed, _ = ProcessedEvent.objects.filter(
        received_at__lt=timezone.now() - KEEP_EVENT_IDS_FOR
    ).delete()
    logger.info("forgot %s processed Slack event ids", removed)
    return removed
