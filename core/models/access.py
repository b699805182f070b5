"""Who may see a private incident, and who asked to (SPEC §18 "Private incidents").

A private incident exists only for the people with an ``IncidentAccess`` row: its declarer, the
members of its private comms channel (kept current from Slack's membership events and from the
invites Response makes), and those the lead let in. Everyone else is told it does not exist.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AccessReason(models.TextChoices):
    DECLARER = "declarer", "declared it"
    MEMBER = "member", "member of its channel"
    APPROVED = "approved", "let in by the lead"


class IncidentAccess(models.Model):
    """One reason one Slack user may see one private incident.

    A person may have several (declarer and member, say): leaving the channel takes away only
    the membership, so the declarer and those let in keep the document.
    """

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="access_grants"
    )
    user = models.ForeignKey(
        "core.ExternalUser", on_delete=models.CASCADE, related_name="incident_access"
    )
    reason = models.CharField(max_length=16, choices=AccessReason.choices)
    granted_by = models.ForeignKey(
        "core.ExternalUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "incident access"
        verbose_name_plural = "incident access"
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user", "reason"], name="incident_access_once_per_reason"
            )
        ]
        indexes = [models.Index(fields=["user", "incident"], name="incident_access_by_user")]

    def __str__(self) -> str:
        return f"{self.user} may see incident {self.incident_id} ({self.reason})"


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", "waiting for the lead"
    APPROVED = "approved", "approved"
    DENIED = "denied", "denied"


class AccessRequest(models.Model):
    """Someone outside a private incident asked its lead to be let in (Request access)."""

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="access_requests"
    )
    requester = models.ForeignKey(
        "core.ExternalUser", on_delete=models.CASCADE, related_name="access_requests"
    )
    status = models.CharField(
        max_length=16, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "core.ExternalUser", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open request per person and incident: clicking Request access again does not
            # ask the lead twice.
            models.UniqueConstraint(
                fields=["incident", "requester"],
                condition=models.Q(status="pending"),
                name="access_request_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="access_request_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester} asks to see incident {self.incident_id} ({self.status})"
