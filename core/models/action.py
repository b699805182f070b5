from __future__ import annotations

from django.db import models
from django.utils import timezone


class ActionPriority(models.IntegerChoices):
    HIGH = 1, "high"
    MEDIUM = 2, "medium"
    LOW = 3, "low"


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
    done = models.BooleanField(default=False)
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
