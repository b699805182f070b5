from __future__ import annotations

import datetime as dt
import re

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from core.lifecycle.statuses import LIVE_STATUSES, STATUS_EMOJI, IncidentStatus

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


# Where ``core.selectors`` puts an incident's role assignments: a ``Prefetch`` ``to_attr``, a plain
# list. A prefetched manager instead costs Django a queryset per incident (about 0.1 ms each; a
# page of 100 incidents spent 10 ms on them).
PREFETCHED_ROLES = "prefetched_roles"

SEVERITY_EMOJI = {
    None: "☁️",
    Severity.CRITICAL: "⛈️",
    Severity.MAJOR: "🌧️",
    Severity.MINOR: "🌦️",
    Severity.TRIVIAL: "🌤️",
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
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)
    report_only = models.BooleanField(
        default=False,
        help_text="A report of something already over: it gets no comms channel.",
    )
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    drill = models.BooleanField(
        default=False, help_text="A practice run: labelled everywhere and left out of the numbers."
    )
    private = models.BooleanField(
        default=False,
        help_text="Only its channel's members and those let in see it (SPEC §18).",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_incidents",
        help_text="Set when the status is merged.",
    )
    # The milestones started, declared and the closing time, kept on the row itself because every
    # list, sweep and index reads them; ``core.services`` writes them together with the matching
    # ``Milestone`` rows, in one transaction.
    report_time = models.DateTimeField(default=timezone.now, help_text="The declared milestone.")
    start_time = models.DateTimeField(default=timezone.now, help_text="The started milestone.")
    end_time = models.DateTimeField(
        null=True, blank=True, help_text="When it stopped being live (resolved, declined, merged)."
    )

    class Meta:
        ordering = ["-report_time", "-id"]
        # The named permissions of SPEC §18 (core.access.Permission), granted to groups in the
        # admin; the codenames are the names people see in refusals.
        permissions = [
            ("declare_private", "Declare private incidents"),
            ("change_severity", "Change an incident's severity after declaration"),
            ("resolve", "Resolve, decline or merge incidents"),
            ("page", "Page people through PagerDuty"),
            ("statuspage", "Post and update incidents on Statuspage"),
            ("publish_postmortem", "Publish postmortems"),
            ("configure", "Change Response's configuration in the admin"),
        ]
        indexes = [
            # Carries the private flag, so the list of what a person may see, and the skipping
            # of a deep page, read the index alone.
            models.Index(
                fields=["-report_time", "-id"], include=["private"], name="incident_newest_first"
            ),
            # The live incidents, newest first: what responders filter the list by.
            models.Index(
                fields=["-report_time", "-id"],
                include=["severity", "private"],
                name="incident_live_newest_first",
                condition=models.Q(status__in=sorted(LIVE_STATUSES)),
            ),
            # The few private incidents, counted apart from the rest (``IncidentTally``).
            models.Index(fields=["id"], name="incident_private", condition=models.Q(private=True)),
            models.Index(
                fields=["id"],
                name="incident_open",
                condition=models.Q(end_time__isnull=True),
            ),
            # The title search (a case-insensitive match anywhere in the title): trigrams let
            # it use an index instead of reading every incident.
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="incident_title_trigrams"),
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
            models.CheckConstraint(
                condition=models.Q(status__in=IncidentStatus.values),
                name="incident_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status="merged", merged_into__isnull=False)
                | (~models.Q(status="merged") & models.Q(merged_into__isnull=True)),
                name="incident_merged_names_its_target",
            ),
        ]

    def __str__(self) -> str:
        return f"Incident {self.pk}: {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.end_time is not None

    @property
    def is_live(self) -> bool:
        """Being worked on: triage, investigating, fixing or monitoring."""
        return self.status in LIVE_STATUSES

    @property
    def status_label(self) -> str:
        return IncidentStatus(self.status).label

    @property
    def status_emoji(self) -> str:
        return STATUS_EMOJI[self.status]

    def _assignments(self) -> list:
        """The role assignments: those ``core.selectors`` read with the incident, else a query
        (or Django's prefetch of ``role_assignments``)."""
        prefetched = self.__dict__.get(PREFETCHED_ROLES)
        return prefetched if prefetched is not None else list(self.role_assignments.all())

    def forget_roles(self) -> None:
        """Drop the role assignments read with the incident, so the next look reads them again."""
        self.__dict__.pop(PREFETCHED_ROLES, None)
        getattr(self, "_prefetched_objects_cache", {}).pop("role_assignments", None)

    @property
    def roles_held(self) -> list:
        """This incident's role assignments in the roles' order."""
        return sorted(self._assignments(), key=lambda held: (held.role.order, held.role.name))

    def holder_of(self, role_name: str):
        """The person holding the role named ``role_name``, or None."""
        return next(
            (held.holder for held in self._assignments() if held.role.name == role_name),
            None,
        )

    @property
    def lead(self):
        """The incident lead: the holder of the ``lead`` role (SPEC §14)."""
        return self.holder_of("lead")

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
