"""The cadence reminder ledger: which update reminder was posted for which due time."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class UpdateReminder(models.Model):
    """One cadence reminder posted for one incident's due time.

    The unique constraint is the exactly-once guarantee: a sweep claims a (due time, stage) by
    inserting its row, and a sweep racing it on another replica inserts nothing and posts nothing.
    """

    FIRST = 1
    LEAD_TOO = 2
    STAGES = [(FIRST, "reminder"), (LEAD_TOO, "second reminder, lead mentioned too")]

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="update_reminders"
    )
    due_at = models.DateTimeField(help_text="The update's due time this reminder is for.")
    stage = models.PositiveSmallIntegerField(choices=STAGES)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "due_at", "stage"], name="update_reminder_once_per_due_time"
            )
        ]

    def __str__(self) -> str:
        return f"Update reminder {self.stage} for incident {self.incident_id} due {self.due_at}"
