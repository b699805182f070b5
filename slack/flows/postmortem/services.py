"""Every write of the overdue DMs' own state (the ``OverdueDigest`` ledger)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from core.models import Action
from slack.flows.postmortem.models import OverdueDigest


def overdue_digests_claim(*, claims: list[tuple[int, dt.date]], now: dt.datetime) -> list[int]:
    """Insert the (owner id, day) ledger rows not there yet, in one statement; the ids of those
    inserted here. A row another transaction inserted and has not committed makes this one wait
    for it, then counts as there: the caller sends for the returned ids only."""
    if not claims:
        return []
    owner_ids, days = zip(*claims, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO slack_overduedigest (owner_id, day, action_ids, created_at)
            SELECT claim.owner_id, claim.day, '[]'::jsonb, %s
            FROM unnest(%s::bigint[], %s::date[]) AS claim(owner_id, day)
            ON CONFLICT (owner_id, day) DO NOTHING
            RETURNING id
            """,
            [now, list(owner_ids), list(days)],
        )
        return [row[0] for row in cursor.fetchall()]


def overdue_digest_lists(*, digest: OverdueDigest, actions: list[Action]) -> None:
    """Remember what the DM lists, so a click on it can redraw it."""
    digest.action_ids = [action.pk for action in actions]
    digest.save(update_fields=["action_ids"])
