"""Every write of the updates flow's own state: the cadence reminder ledger (``UpdateReminder``)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from core.lifecycle.statuses import LIVE_STATUSES

# One row per (incident, due time, stage) that is due now, claimed by inserting it. The due time
# is the latest update's promise, else the severity's interval after the latest update (or the
# declaration); stage 2 is one more interval later (the severity's, else the promised one).
# ``schedule.next_due`` is the same rule in Python.
CLAIM_DUE_REMINDERS = """
WITH cadence(severity, minutes) AS (VALUES {cadence}),
due AS (
    SELECT
        incident.id AS incident_id,
        COALESCE(
            latest.next_update_due,
            COALESCE(latest.created_at, incident.report_time)
                + make_interval(mins => cadence.minutes)
        ) AS due_at,
        COALESCE(
            make_interval(mins => cadence.minutes), latest.next_update_due - latest.created_at
        ) AS again
    FROM core_incident AS incident
    JOIN slack_commschannel AS channel ON channel.incident_id = incident.id
    LEFT JOIN cadence ON cadence.severity = incident.severity
    LEFT JOIN LATERAL (
        SELECT created_at, next_update_due
        FROM core_update
        WHERE core_update.incident_id = incident.id
        ORDER BY created_at DESC, id DESC
        LIMIT 1
    ) AS latest ON TRUE
    WHERE incident.end_time IS NULL AND incident.status = ANY(%s)
),
claims AS (
    SELECT incident_id, due_at, 1 AS stage FROM due WHERE due_at <= %s
    UNION ALL
    SELECT incident_id, due_at, 2 FROM due WHERE due_at + again <= %s
)
INSERT INTO slack_updatereminder (incident_id, due_at, stage, sent_at)
SELECT incident_id, due_at, stage, %s FROM claims
ON CONFLICT (incident_id, due_at, stage) DO NOTHING
RETURNING incident_id, due_at, stage
"""


def update_reminders_claim(
    *, now: dt.datetime, cadence: dict[int, int | None]
) -> list[tuple[int, dt.datetime, int]]:
    """Claim every cadence reminder due at ``now`` that no sweep claimed before: (incident id,
    due time, stage) of each, for the caller to post in the same transaction.

    One statement. Under the unique (incident, due time, stage) constraint, a sweep racing this
    one on another replica waits for this transaction, then inserts nothing for the rows it
    claimed: each reminder is claimed, and so posted, once.
    """
    values = ", ".join(["(%s::int, %s::int)"] * len(cadence))
    cadence_params = [value for pair in cadence.items() for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_DUE_REMINDERS.format(cadence=values),
            [*cadence_params, list(LIVE_STATUSES), now, now, now],
        )
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]
