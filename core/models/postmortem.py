from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"


class PostmortemSectionKey(models.TextChoices):
    """The sections of a postmortem (SPEC §16), in the order they are written and shown."""

    SUMMARY = "summary", "Summary"
    IMPACT = "impact", "Impact"
    ROOT_CAUSE = "root_cause", "Root cause"
    CONTRIBUTING_FACTORS = "contributing_factors", "Contributing factors"
    WENT_WELL = "went_well", "What went well"
    WENT_BADLY = "went_badly", "What went badly"
    LESSONS = "lessons", "Lessons"


class Postmortem(models.Model):
    """What a team learnt from an incident: one per incident, written together on the web."""

    incident = models.OneToOneField(
        "core.Incident", on_delete=models.CASCADE, related_name="postmortem"
    )
    status = models.CharField(
        max_length=16, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_changed_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"Postmortem of incident {self.incident_id} ({self.get_status_display()})"


class PostmortemSection(models.Model):
    """The current text of one section. ``revision`` counts its saves: a save based on an older
    revision than this one is refused, so two people editing at once never overwrite each other
    unknowingly."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=32, choices=PostmortemSectionKey.choices)
    text = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "key"], name="postmortem_one_section")
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} (revision {self.revision})"


class PostmortemRevision(models.Model):
    """One save of a section: who, when and what it then said. Never changed or removed."""

    section = models.ForeignKey(
        PostmortemSection, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postmortem_revisions",
    )
    # The editor's name at the time, kept even if the login goes.
    editor_name = models.CharField(max_length=150, blank=True)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["section", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="postmortem_revision_once")
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.section_id}"
