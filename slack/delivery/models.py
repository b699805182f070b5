"""Failed job attempts, shown in the admin as Slack deliveries to watch."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
