"""The daily overdue DM (SPEC §16): each owner of overdue follow-ups gets one DM a day listing
them, once it is morning where they are. Called by ``/slack/cron_minute`` with the reminders.

Exactly once per owner and day, from any number of replicas ticking at once: the sweep claims
``(owner, their day)`` rows of ``OverdueDigest`` with one ``INSERT … ON CONFLICT DO NOTHING
RETURNING`` and defers a DM for the rows it inserted only, in the same transaction. A second
sweep inserting the same pair waits on the first's uncommitted row, then finds the conflict and
inserts nothing. What each DM lists is read when it is sent (``jobs.send_overdue_dm``), so a
follow-up done in between is not listed.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from core import selectors
from core.lifecycle.when import zone_named
from slack.flows.postmortem.jobs import send_overdue_dm
from slack.flows.postmortem.services import overdue_digests_claim

logger = logging.getLogger(__name__)

# Local hour from which an owner's DM of the day may go out: not in the middle of their night.
OVERDUE_DM_HOUR = 9


def sweep_overdue(*, now: dt.datetime | None = None) -> int:
    """Defer the day's overdue DM of every owner due one; how many were deferred."""
    now = now or timezone.now()
    with transaction.atomic():
        claims = _owners_due_a_dm(now)
        claimed = overdue_digests_claim(claims=claims, now=now)
        _defer_dms(claimed)
    if claimed:
        logger.info("overdue sweep: %s DMs deferred", len(claimed))
    return len(claimed)


def _owners_due_a_dm(now: dt.datetime) -> list[tuple[int, dt.date]]:
    """(owner id, their date today) of each overdue owner for whom it is past the hour."""
    claims = []
    for owner in selectors.overdue_owners(now=now):
        local = now.astimezone(zone_named(owner.time_zone))
        if local.hour >= OVERDUE_DM_HOUR:
            claims.append((owner.pk, local.date()))
    return claims


def _defer_dms(digest_ids: list[int]) -> None:
    if digest_ids:
        send_overdue_dm.batch_defer(*({"digest_id": digest_id} for digest_id in digest_ids))
