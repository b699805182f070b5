"""What Response remembers about Slack: the Slack side of an incident (SPEC §5)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
        from slack import outbox

        outbox.post_in_channel(self.channel_id, text, blocks)


class HeadlinePost(models.Model):
    """The incident's summary message in the central channel, updated in place."""

    incident = models.OneToOneField(
        "core.Incident", on_delete=models.CASCADE, related_name="headline_post"
    )
    channel_id = models.CharField(max_length=32)
    ts = models.CharField("message ts", max_length=32, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Headline of incident {self.incident_id}"


class UserStats(models.Model):
    """How much each person took part in an incident's channel."""

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="user_stats"
    )
    user = models.ForeignKey(
        "core.ExternalUser", on_delete=models.CASCADE, related_name="incident_stats"
    )
    first_message_at = models.DateTimeField(default=timezone.now)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "user stats"
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="userstats_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in incident {self.incident_id}: {self.message_count}"


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


class ProcessedEvent(models.Model):
    """An Events API ``event_id`` already handled. Slack retries carry the same id."""

    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    handled_at = models.DateTimeField(
        null=True, blank=True, help_text="Set in the transaction of the handlers' work."
    )

    def __str__(self) -> str:
        return self.event_id


class FailedAttempt(models.Model):
    """One attempt of a job that failed: what Slack (or anything else) said, and what happens next.

    Written by the job runner, read in the admin as the record of deliveries that did not go
    through at once. ``next_attempt_at`` is empty when the job gave up.
    """

    job_id = models.BigIntegerField(db_index=True)
    task_name = models.CharField(max_length=128)
    attempt = models.PositiveIntegerField(help_text="1 for the first attempt.")
    slack_method = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=128)
    message = models.TextField(blank=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} attempt {self.attempt}: {self.error_code}"


# Models kept with their feature, registered here so Django finds them.
from slack.workflows.models import (  # noqa: E402
    EncryptionCanary,
    EscalationTeam,
    Workflow,
    WorkflowParameter,
)

__all__ = [
    "CommsChannel",
    "EncryptionCanary",
    "EscalationTeam",
    "FailedAttempt",
    "HeadlinePost",
    "Notification",
    "ProcessedEvent",
    "UserStats",
    "Workflow",
    "WorkflowParameter",
]
