from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.lifecycle.milestones import MilestoneKind


class Milestone(models.Model):
    """When something happened in an incident's life (SPEC §14); one row per kind per incident.

    Changes are history on the timeline; the row holds the current time.
    """

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(max_length=16, choices=MilestoneKind.choices)
    time = models.DateTimeField()
    set_by = models.ForeignKey(
        "core.ExternalUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "time"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind"], name="one_milestone_per_kind"),
            models.CheckConstraint(
                condition=models.Q(kind__in=MilestoneKind.values), name="milestone_kind_known"
            ),
        ]
        # The insights read one kind across many incidents.
        indexes = [models.Index(fields=["kind", "incident", "time"], name="milestone_by_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of incident {self.incident_id} at {self.time:%Y-%m-%d %H:%M}"
