"""Workflow configuration (imported by ``slack.models`` so Django finds the models)."""

from __future__ import annotations

from django.db import models

from slack.workflows.crypto import StrictEncryptedTextField


class Workflow(models.Model):
    """One optional integration; parameters are its settings, secrets included."""

    name = models.CharField(max_length=50, unique=True)
    enabled = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkflowParameter(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="parameters")
    name = models.CharField(max_length=50)
    value = StrictEncryptedTextField(blank=True)

    class Meta:
        ordering = ["workflow", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "name"], name="workflow_parameter_once")
        ]

    def __str__(self) -> str:
        return f"{self.workflow}.{self.name}"


class EncryptionCanary(models.Model):
    """A known text, encrypted with the key in use when it was first stored.

    If it no longer decrypts, ``ENCRYPTED_FIELD_KEY`` has changed.
    """

    KNOWN_TEXT = "response"

    value = StrictEncryptedTextField()

    def __str__(self) -> str:
        return "encryption key check"


class EscalationTeam(models.Model):
    """A team people can page from an incident channel (``@incident escalate``)."""

    name = models.CharField(max_length=100, unique=True)
    summary = models.TextField(blank=True, help_text="What the team can help with.")
    routing_key = StrictEncryptedTextField(
        help_text="The Events API v2 integration key of the team's PagerDuty service."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StatuspageIncident(models.Model):
    """The Statuspage incident posted for a Response incident (at most one each).

    ``last_submission`` names the form submission last applied on Statuspage, so a job retried
    after Statuspage accepted it does not send it again; ``pending_notice`` is the channel's
    notice of that change until it has been posted.
    """

    CLOSED_STATUSES = ("resolved", "postmortem", "completed")

    incident = models.OneToOneField(
        "core.Incident", on_delete=models.CASCADE, related_name="statuspage_incident"
    )
    page_id = models.CharField(max_length=50)
    statuspage_id = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=30)
    impact = models.CharField(max_length=30, blank=True)
    shortlink = models.URLField(blank=True)
    last_submission = models.CharField(max_length=100, blank=True)
    pending_notice = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Statuspage incident"

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_closed(self) -> bool:
        """Resolved (or past it): Response no longer changes it."""
        return self.status in self.CLOSED_STATUSES
