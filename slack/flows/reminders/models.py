"""The reminder ledger: how often each reminder was posted for each incident."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """Ledger of a timed reminder for one incident: how often it was sent and when last."""

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=100)
    times_sent = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "key"], name="notification_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} for incident {self.incident_id} ({self.times_sent} sent)"
