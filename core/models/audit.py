from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATED = "created", "created"
    CHANGED = "changed", "changed"
    DELETED = "deleted", "deleted"


class AuditVia(models.TextChoices):
    """The surfaces of ``core.access.Via``, as the database stores them."""

    SLACK = "slack", "Slack"
    BROWSER = "browser", "browser"
    API = "api", "API"
    ADMIN = "admin", "admin"
    SYSTEM = "system", "system"


class AuditEntry(models.Model):
    """One change to a record, as it was made: append-only (SPEC §18).

    Who acted is copied as text and ids at write time, and the incident and the record are plain
    ids, not foreign keys: deleting a person, an incident or the record itself never has to touch
    an entry. The database refuses updates and deletes of these rows (a trigger, migration 0010).
    """

    at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=8, choices=AuditVia.choices)
    person_id = models.BigIntegerField(null=True, blank=True, help_text="The signed-in login.")
    person_name = models.CharField(max_length=150, blank=True)
    slack_user_id = models.CharField(max_length=32, blank=True, help_text="Slack's user id.")
    slack_user_name = models.CharField(max_length=200, blank=True)
    incident_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=100, help_text="app_label.model")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=8, choices=AuditAction.choices)
    # Only the fields that changed: {field: value}, before and after.
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    job_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_newest_first"),
            models.Index(fields=["incident_id", "-at", "-id"], name="audit_of_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.who} {self.action} {self.object_type} {self.object_id}"

    @property
    def who(self) -> str:
        return self.person_name or self.slack_user_name or "Response"

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field the entry names, in a stable order."""
        names = sorted(self.before.keys() | self.after.keys())
        return [(name, self.before.get(name), self.after.get(name)) for name in names]
