from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone


class ActionPriority(models.IntegerChoices):
    HIGH = 1, "high"
    MEDIUM = 2, "medium"
    LOW = 3, "low"


class ActionStatus(models.TextChoices):
    OPEN = "open", "open"
    DONE = "done", "done"
    WONT_DO = "wont_do", "won't do"


class Action(models.Model):
    """A follow-up to do once the incident is over."""

    incident = models.ForeignKey("core.Incident", on_delete=models.CASCADE, related_name="actions")
    details = models.TextField()
    owner = models.ForeignKey(
        "core.ExternalUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    status = models.CharField(
        max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    priority = models.PositiveSmallIntegerField(
        choices=ActionPriority.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "created_at", "id"]

    def __str__(self) -> str:
        return self.details[:80]

    @property
    def done(self) -> bool:
        return self.status == ActionStatus.DONE

    @property
    def triaged(self) -> bool:
        """Someone will do it by a date, or it was decided not to (SPEC §16's publishing rule)."""
        if self.status == ActionStatus.WONT_DO:
            return True
        return self.owner_id is not None and self.due_at is not None

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.status == ActionStatus.OPEN and self.due_at is not None and self.due_at < now
