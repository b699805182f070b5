from __future__ import annotations

import datetime as dt
import re

from django.db import models
from django.utils import timezone

TITLE_MAX_LENGTH = 200


class Severity(models.IntegerChoices):
    CRITICAL = 1, "critical"
    MAJOR = 2, "major"
    MINOR = 3, "minor"
    TRIVIAL = 4, "trivial"

    @classmethod
    def parse(cls, text: str) -> Severity | None:
        """Read a severity the way people type it: ``critical``, ``Critical``, ``1``, ``sev 1``.

        Returns None when the text names no severity.
        """
        cleaned = re.sub(r"^(sev(erity)?)[\s_-]*", "", text.strip().lower())
        for member in cls:
            if cleaned in (member.label, str(member.value)):
                return member
        return None


SEVERITY_EMOJI = {
    None: "☁️",
    Severity.CRITICAL: "⛈️",
    Severity.MAJOR: "🌧️",
    Severity.MINOR: "🌦️",
    Severity.TRIVIAL: "🌤️",
}


class IncidentStatus(models.TextChoices):
    LIVE = "live", "Live"
    RESOLVED = "resolved", "Resolved"
    REPORTED = "reported", "Reported"


STATUS_EMOJI = {
    IncidentStatus.LIVE: "🔥",
    IncidentStatus.RESOLVED: "💧",
    IncidentStatus.REPORTED: "📓",
}


class Incident(models.Model):
    """Something that went wrong. Open while ``end_time`` is unset (SPEC §5)."""

    title = models.CharField(max_length=TITLE_MAX_LENGTH, help_text="The one-line report.")
    summary = models.TextField(blank=True, help_text="What's the high level summary?")
    impact = models.TextField(blank=True, help_text="What impact is this having?")
    reporter = models.ForeignKey(
        "core.ExternalUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_incidents",
    )
    lead = models.ForeignKey(
        "core.ExternalUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_incidents",
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)
    report_only = models.BooleanField(
        default=False,
        help_text="A report of something already over: it gets no comms channel.",
    )
    report_time = models.DateTimeField(default=timezone.now)
    start_time = models.DateTimeField(default=timezone.now)
    end_time = models.DateTimeField(null=True, blank=True, help_text="Set when closed.")

    class Meta:
        ordering = ["-report_time", "-id"]
        indexes = [
            models.Index(fields=["-report_time", "-id"], name="incident_newest_first"),
            models.Index(
                fields=["id"],
                name="incident_open",
                condition=models.Q(end_time__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__isnull=True) | models.Q(severity__in=[1, 2, 3, 4]),
                name="incident_severity_known",
            ),
            models.CheckConstraint(
                condition=models.Q(end_time__isnull=True)
                | models.Q(end_time__gte=models.F("start_time")),
                name="incident_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk}: {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.end_time is not None

    @property
    def status(self) -> IncidentStatus:
        if self.report_only:
            return IncidentStatus.REPORTED
        return IncidentStatus.RESOLVED if self.is_closed else IncidentStatus.LIVE

    @property
    def status_emoji(self) -> str:
        return STATUS_EMOJI[self.status]

    @property
    def severity_text(self) -> str | None:
        return Severity(self.severity).label if self.severity else None

    @property
    def severity_emoji(self) -> str:
        return SEVERITY_EMOJI[Severity(self.severity) if self.severity else None]

    @property
    def duration(self) -> dt.timedelta:
        return (self.end_time or timezone.now()) - self.start_time

    @property
    def duration_text(self) -> str:
        return format_duration(self.duration)


def format_duration(delta: dt.timedelta) -> str:
    """``2 hrs 5 mins``; seconds only when under a minute (``42 secs``)."""
    total = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hr" + ("s" if hours != 1 else ""))
    if minutes:
        parts.append(f"{minutes} min" + ("s" if minutes != 1 else ""))
    if not parts:
        parts.append(f"{seconds} sec" + ("s" if seconds != 1 else ""))
    return " ".join(parts)
