"""Updates shared during an incident, who follows it, and the promised cadence (SPEC §15)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from core.lifecycle.statuses import IncidentStatus
from core.models.incident import Severity

# The interval between updates when the admin has set none for a severity, in minutes (None: no
# cadence). Kept in code, not only in a data migration, so a fresh or flushed database has them.
DEFAULT_CADENCE: dict[int, int | None] = {
    Severity.CRITICAL: 30,
    Severity.MAJOR: 60,
    Severity.MINOR: 240,
    Severity.TRIVIAL: None,
}
MIN_INTERVAL_MINUTES = 1


class Update(models.Model):
    """One update shared with everyone outside the response: where things stand, what is next."""

    incident = models.ForeignKey("core.Incident", on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        "core.ExternalUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shared_updates",
    )
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, help_text="The status when it was shared."
    )
    impact = models.TextField("current impact", blank=True)
    what_changed = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    next_update_due = models.DateTimeField(
        null=True, blank=True, help_text="When the next update was promised; empty for no promise."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "-created_at", "-id"], name="update_latest_first")
        ]

    def __str__(self) -> str:
        return f"Update on incident {self.incident_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Follower(models.Model):
    """Someone outside the response who gets each update and the resolution by DM."""

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(
        "core.ExternalUser", on_delete=models.CASCADE, related_name="followed_incidents"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="follow_an_incident_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} follows incident {self.incident_id}"


class UpdateCadence(models.Model):
    """How often updates are due for incidents of one severity; no interval means none."""

    severity = models.PositiveSmallIntegerField(choices=Severity.choices, unique=True)
    interval_minutes = models.PositiveIntegerField(
        "update interval (minutes)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(
                MIN_INTERVAL_MINUTES,
                message="An update interval is at least %(limit_value)s minute; "
                "leave it empty for no cadence.",
            )
        ],
        help_text="Minutes between updates, at least 1; empty for no cadence.",
    )

    class Meta:
        ordering = ["severity"]
        verbose_name = "update cadence"
        verbose_name_plural = "update cadences"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_minutes__isnull=True)
                | models.Q(interval_minutes__gte=MIN_INTERVAL_MINUTES),
                name="update_interval_at_least_a_minute",
            )
        ]

    def __str__(self) -> str:
        interval = f"every {self.interval_minutes} min" if self.interval_minutes else "none"
        return f"{Severity(self.severity).label}: {interval}"
