"""Who took part in an incident's conversation, and how much."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Participation(models.Model):
    """One person's messages in an incident's channel: a fact about the incident, which the
    document shows (the chat tool that counted them is the Slack side's business)."""

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(
        "core.ExternalUser", on_delete=models.CASCADE, related_name="participations"
    )
    first_message_at = models.DateTimeField(default=timezone.now)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user"], name="participation_one_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in incident {self.incident_id}: {self.message_count}"
