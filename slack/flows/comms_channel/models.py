"""The Slack side of an incident that this flow owns: the channel where it is worked on."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from slack.delivery import outbox


class CommsChannel(models.Model):
    """The channel where an incident is worked on."""

    incident = models.OneToOneField(
        "core.Incident", on_delete=models.CASCADE, related_name="comms_channel"
    )
    channel_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.name}"

    def post_in_channel(self, text: str, blocks: list[dict] | None = None) -> None:
        """Post into this channel once the current transaction commits (as a job)."""
        outbox.post_in_channel(self.channel_id, text, blocks)
