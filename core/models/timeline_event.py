from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TimelineEventKind(models.TextChoices):
    PINNED_MESSAGE = "pinned_message", "Pinned message"
    INCIDENT_CHANGE = "incident_change", "Incident change"
    NOTE = "note", "Note"
    UPDATE = "update", "Update"


class TimelineEvent(models.Model):
    """One entry of an incident's timeline.

    ``source_ref`` identifies where an entry came from (a pinned message, say) so that the same
    source is recorded once and can later be updated or removed; it is empty for entries with no
    outside source.
    """

    incident = models.ForeignKey(
        "core.Incident", on_delete=models.CASCADE, related_name="timeline_events"
    )
    time = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=TimelineEventKind.choices)
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        "core.ExternalUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="timeline_events",
    )
    metadata = models.JSONField(default=dict, blank=True)
    source_ref = models.CharField(max_length=200, blank=True)
    # Hidden entries stay recorded (and can be shown again) but leave the curated timeline.
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["incident", "time", "id"]
        indexes = [models.Index(fields=["incident", "time"], name="timeline_by_incident_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source_ref"],
                condition=~models.Q(source_ref=""),
                name="timeline_one_entry_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.time:%Y-%m-%d %H:%M}"


class TimelineEditKind(models.TextChoices):
    TEXT = "text", "text edited"
    TIME = "time", "time moved"
    HIDDEN = "hidden", "hidden"
    SHOWN = "shown", "shown again"


class TimelineEdit(models.Model):
    """One change made to a timeline entry on the web: the entry's history, kept for good."""

    entry = models.ForeignKey(TimelineEvent, on_delete=models.CASCADE, related_name="edits")
    kind = models.CharField(max_length=16, choices=TimelineEditKind.choices)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="timeline_edits",
    )
    editor_name = models.CharField(max_length=150, blank=True)
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entry", "edited_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.edited_at:%Y-%m-%d %H:%M}"


class TimelineChange(models.Model):
    """One change to an incident's timeline: how renders kept between requests (SPEC §19) know
    it changed, so a long timeline is rendered once per change, not once per view.

    Written by the database alone: triggers on ``core_timelineevent`` and ``core_timelineedit``
    (migration 0012) add a row per incident touched by every insert, update or delete of an entry
    or of its history, in its transaction, however it is made (a service, ``bulk_create``,
    ``QuerySet.update``, the admin). An incident's count of rows is its timeline's version: it
    grows with every commit that changes the timeline, and, unlike a counter on a row, adding to
    it takes no lock that writers of the timeline would queue on (or deadlock over, with the
    incident's row). Ids drawn by concurrent writers commit out of order, so a count, not the
    highest id, is the version.
    """

    # No foreign key in the database: deleting an incident deletes its entries, whose trigger
    # adds rows again; rows left behind are harmless, as incident ids are never reused.
    incident = models.ForeignKey(
        "core.Incident",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="timeline_changes",
    )

    def __str__(self) -> str:
        return f"Change {self.pk} to the timeline of incident {self.incident_id}"
