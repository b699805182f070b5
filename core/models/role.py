from __future__ import annotations

from django.db import models
from django.utils import timezone

LEAD = "lead"


class Role(models.Model):
    """A responsibility someone holds during an incident (SPEC §14), configured in the admin."""

    name = models.SlugField(
        max_length=32, unique=True, help_text="What people type: @incident role <name> @person."
    )
    label = models.CharField(max_length=80, help_text="How it is shown: Incident lead.")
    duty = models.CharField(
        max_length=300, help_text="One line sent to a new holder by DM: what they are there to do."
    )
    order = models.PositiveSmallIntegerField(default=100, help_text="Lower comes first.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.label


class RoleAssignment(models.Model):
    """Who holds a role in one incident: one holder per role per incident."""

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    holder = models.ForeignKey(
        "core.ExternalUser", on_delete=models.PROTECT, related_name="role_assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        "core.ExternalUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["incident", "role__order"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "role"], name="one_holder_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.role} of incident {self.incident_id}: {self.holder}"
