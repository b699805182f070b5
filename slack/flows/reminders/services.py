"""Every write of the reminders' own state (the ``Notification`` ledger)."""

from __future__ import annotations

import datetime as dt

from slack.flows.reminders.models import Notification


def reminders_count_sent(*, rows: list[Notification], now: dt.datetime) -> None:
    """Count one more posting of each ledger row, in one statement (the sweep holds their
    locks; the statement count does not grow with the number of reminders)."""
    for row in rows:
        row.times_sent += 1
        row.last_sent_at = now
    Notification.objects.bulk_update(rows, ["times_sent", "last_sent_at"])
