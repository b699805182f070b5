"""Deliveries from Slack already accepted: what makes a retried delivery do nothing more."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
