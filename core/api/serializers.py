"""What the API reads and writes. Serializers validate input; the views hand it to services.

Slack users are named by their Slack id (``U…``) everywhere, in paths and in writes
(``lead_external_id``, ``owner_external_id``, ``holder_external_id``). Severity and priority are
words, not numbers; statuses, roles and milestones are their names.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.access import visible_incidents
from core.lifecycle.milestones import MILESTONE_MEANING, MilestoneKind
from core.lifecycle.statuses import MOVES, STATUS_MEANING
from core.models import (
    Action,
    ActionPriority,
    ActionStatus,
    AuditEntry,
    ExternalUser,
    Incident,
    IncidentStatus,
    Role,
    RoleAssignment,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)
from core.selectors import MILESTONE_KINDS, MILESTONE_TIMES

# What an incident, a role held or a person reads as is written out below by hand, field by
# field, rather than by DRF's generic walk over the declared fields: a page of 100 incidents
# costs about 4 ms so instead of 40. The declared fields still describe the schema and
# validate writes; tests/core/api/test_representations.py holds the two to the same output.


# Read once: an enum's ``values`` and ``label`` are worked out anew on every use.
EVERY_MILESTONE = tuple(MilestoneKind.values)
SEVERITY_LABELS = {member.value: member.label for member in Severity}


def api_time(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """A time as DRF's ``DateTimeField`` writes it: ISO 8601 in ``zone``, UTC as ``Z``."""
    if moment is None:
        return None
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def user_representation(user: ExternalUser | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "external_id": user.external_id,
        "name": user.name,
        "display_name": user.display_name,
        "full_name": user.full_name,
        "email": user.email,
        "deleted": user.deleted,
    }


def held_role_representation(held: RoleAssignment) -> dict[str, Any]:
    return {
        "role": held.role.name,
        "label": held.role.label,
        "holder": user_representation(held.holder),
    }


def milestone_times(incident: Incident, zone: dt.tzinfo) -> dict[str, str | None]:
    """Every milestone kind with its time or None: read with the incident
    (``selectors.with_milestone_times``), else one query."""
    kinds = getattr(incident, MILESTONE_KINDS, None)
    if kinds is None:
        times = {row.kind: row.time for row in incident.milestones.all()}
    else:
        times = dict(zip(kinds, getattr(incident, MILESTONE_TIMES), strict=True))
    return {kind: api_time(times.get(kind), zone) for kind in EVERY_MILESTONE}


@extend_schema_field(OpenApiTypes.INT)
class VisibleIncidentField(serializers.PrimaryKeyRelatedField):
    """An incident by id, among those the requesting person may see: a private incident they
    are not in is as unknown as an id that never existed."""

    def get_queryset(self):
        return visible_incidents()  # of who acts: the API's caller (``ActingAPIView``)


class LabelChoiceField(serializers.ChoiceField):
    """An integer choice read and written as its label (``"critical"``, ``"high"``), or null."""

    def __init__(self, choices_class: type, **kwargs: Any) -> None:
        self.choices_class = choices_class
        kwargs.setdefault("allow_null", True)
        super().__init__(choices=[member.label for member in choices_class], **kwargs)

    def to_internal_value(self, data: Any) -> int:
        label = super().to_internal_value(data)
        return next(member.value for member in self.choices_class if member.label == label)

    def to_representation(self, value: Any) -> str | None:
        return self.choices_class(value).label if value else None


class ExternalUserSerializer(serializers.ModelSerializer):
    external_id = serializers.CharField(read_only=True, help_text="The Slack user id.")
    name = serializers.CharField(read_only=True, help_text="The best name we have.")
    email = serializers.CharField(read_only=True, help_text="From Slack; empty when unknown.")

    class Meta:
        model = ExternalUser
        fields = ["external_id", "name", "display_name", "full_name", "email", "deleted"]
        read_only_fields = fields

    def to_representation(self, instance: ExternalUser) -> dict[str, Any]:
        return user_representation(instance)


class SlackUserField(serializers.SlugRelatedField):
    """A known Slack user, written as their Slack id."""

    def to_internal_value(self, data: Any) -> ExternalUser:
        # PostgreSQL cannot even compare a string holding NUL: it is no id, so refuse it here.
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def _user_by_slack_id(**kwargs: Any) -> SlackUserField:
    return SlackUserField(
        slug_field="external_id",
        queryset=ExternalUser.objects.all(),
        write_only=True,
        allow_null=True,
        required=False,
        **kwargs,
    )


def _statuses_help() -> str:
    return "; ".join(f"`{status}`: {STATUS_MEANING[status]}" for status in IncidentStatus.values)


def _moves_help() -> str:
    return "; ".join(
        f"{status} → {', '.join(MOVES[status]) or 'nothing (final)'}"
        for status in IncidentStatus.values
    )


class RoleSerializer(serializers.ModelSerializer):
    name = serializers.SlugField(read_only=True, help_text="What the API and Slack name it by.")
    label = serializers.CharField(read_only=True, help_text="How it is shown.")
    duty = serializers.CharField(read_only=True, help_text="What its holder is there to do.")
    order = serializers.IntegerField(read_only=True, help_text="Lower comes first.")

    class Meta:
        model = Role
        fields = ["name", "label", "duty", "order"]
        read_only_fields = fields


class HeldRoleSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(
        slug_field="name", read_only=True, help_text="The role's name."
    )
    label = serializers.CharField(source="role.label", read_only=True)
    holder = ExternalUserSerializer(read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["role", "label", "holder"]
        read_only_fields = fields

    def to_representation(self, instance: RoleAssignment) -> dict[str, Any]:
        return held_role_representation(instance)


class MilestoneTimesSerializer(serializers.Serializer):
    """Every milestone by name: its time, or null while it is not set."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            kind: serializers.DateTimeField(
                allow_null=True, read_only=True, help_text=MILESTONE_MEANING[kind].capitalize()
            )
            for kind in MilestoneKind.values
        }


class IncidentSerializer(serializers.ModelSerializer):
    reporter = ExternalUserSerializer(read_only=True, allow_null=True)
    lead = ExternalUserSerializer(
        read_only=True, allow_null=True, help_text="The holder of the lead role."
    )
    lead_external_id = _user_by_slack_id(
        source="lead", help_text="Slack user id of the new lead, or null for none."
    )
    severity = LabelChoiceField(Severity, required=False)
    status = serializers.ChoiceField(
        choices=IncidentStatus.choices,
        read_only=True,
        help_text=f"{_statuses_help()}. Changed with POST …/status/.",
    )
    drill = serializers.BooleanField(
        read_only=True, help_text="A practice run: left out of the numbers."
    )
    merged_into = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The incident it was merged into, if merged."
    )
    report_only = serializers.BooleanField(
        read_only=True, help_text="Reported after it was over (status reported)."
    )
    roles = HeldRoleSerializer(
        source="roles_held",
        many=True,
        read_only=True,
        help_text="The roles someone holds, in the roles' order. Changed with PUT …/roles/{role}/.",
    )
    milestones = serializers.SerializerMethodField(
        help_text="Every milestone's time, null while unset. Changed with PUT …/milestones/{kind}/."
    )
    duration_seconds = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "summary",
            "impact",
            "reporter",
            "lead",
            "lead_external_id",
            "severity",
            "status",
            "drill",
            "merged_into",
            "report_only",
            "roles",
            "milestones",
            "report_time",
            "start_time",
            "end_time",
            "duration_seconds",
            "document_url",
        ]
        read_only_fields = ["id", "report_time", "end_time"]

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        zone = timezone.get_current_timezone()
        return {
            "id": instance.pk,
            "title": instance.title,
            "summary": instance.summary,
            "impact": instance.impact,
            "reporter": user_representation(instance.reporter),
            "lead": user_representation(instance.lead),
            "severity": SEVERITY_LABELS.get(instance.severity),
            "status": instance.status,
            "drill": instance.drill,
            "merged_into": instance.merged_into_id,
            "report_only": instance.report_only,
            "roles": [held_role_representation(held) for held in instance.roles_held],
            "milestones": milestone_times(instance, zone),
            "report_time": api_time(instance.report_time, zone),
            "start_time": api_time(instance.start_time, zone),
            "end_time": api_time(instance.end_time, zone),
            "duration_seconds": self.get_duration_seconds(instance),
            "document_url": self.get_document_url(instance),
        }

    @extend_schema_field(MilestoneTimesSerializer)
    def get_milestones(self, incident: Incident) -> dict[str, str | None]:
        return milestone_times(incident, timezone.get_current_timezone())

    @extend_schema_field(OpenApiTypes.INT)
    def get_duration_seconds(self, incident: Incident) -> int:
        """Seconds from start to end, or to now while the incident is open."""
        return max(int(incident.duration.total_seconds()), 0)

    @extend_schema_field(OpenApiTypes.URI)
    def get_document_url(self, incident: Incident) -> str:
        return f"{self._documents_at}{incident.pk}/"

    @cached_property
    def _documents_at(self) -> str:
        """Where incident documents are, up to their id (``https://host/incident/``): worked
        out once per response rather than reversed and made absolute for each incident."""
        path = reverse("ui:incident_detail", args=[0]).removesuffix("0/")
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=IncidentStatus.choices, help_text=f"The status to move to. Moves: {_moves_help()}."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Why; required to reopen (resolved → investigating). Lands on the timeline.",
    )
    merged_into = VisibleIncidentField(
        required=False,
        allow_null=True,
        help_text="With status merged: the incident it is merged into.",
    )


class TransitionRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why, and where the incident can go instead.")
    allowed = serializers.ListField(
        child=serializers.CharField(),
        help_text="The statuses it can move to from its current one (empty when final).",
    )


class CloseRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why: already closed, or not resolvable from here.")
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="When its status is the reason: the statuses it can move to instead.",
    )


class RoleHolderSerializer(serializers.Serializer):
    holder_external_id = SlackUserField(
        slug_field="external_id",
        queryset=ExternalUser.objects.all(),
        allow_null=True,
        help_text="Slack user id of the new holder, or null for nobody.",
    )


class MilestoneTimeSerializer(serializers.Serializer):
    time = serializers.DateTimeField(
        help_text="When it happened, ISO 8601 (a time without an offset is UTC); not in the "
        "future, and in order: started ≤ detected ≤ declared ≤ acknowledged; "
        "started ≤ mitigated ≤ resolved."
    )


class ActionSerializer(serializers.ModelSerializer):
    incident = VisibleIncidentField()
    owner = ExternalUserSerializer(read_only=True, allow_null=True)
    owner_external_id = _user_by_slack_id(
        source="owner", help_text="Slack user id of the owner, or null for nobody."
    )
    priority = LabelChoiceField(ActionPriority, required=False)
    status = serializers.ChoiceField(
        choices=ActionStatus.choices,
        required=False,
        help_text="open, done or wont_do. Done stamps `done_at`; any other status clears it.",
    )
    # Kept for clients written before statuses: true is status done, false reopens it.
    done = serializers.BooleanField(
        required=False, help_text="True is status done, false reopens it; kept for old clients."
    )

    class Meta:
        model = Action
        fields = [
            "id",
            "incident",
            "details",
            "owner",
            "owner_external_id",
            "status",
            "done",
            "priority",
            "created_at",
            "done_at",
            "due_at",
        ]
        read_only_fields = ["id", "created_at", "done_at"]


class ActionUpdateSerializer(ActionSerializer):
    """An action's fields but its incident, which does not change."""

    incident = serializers.PrimaryKeyRelatedField(read_only=True)


class TimelineEventSerializer(serializers.ModelSerializer):
    incident = VisibleIncidentField()
    kind = serializers.ChoiceField(choices=TimelineEventKind.choices, read_only=True)
    author = ExternalUserSerializer(read_only=True, allow_null=True)
    time = serializers.DateTimeField(required=False, help_text="When it happened; now if left out.")
    text = serializers.CharField(allow_blank=False, trim_whitespace=True)
    metadata = serializers.JSONField(
        read_only=True,
        help_text="Where the entry came from: Slack ts, channel, permalink; "
        "old and new values for incident changes.",
    )

    class Meta:
        model = TimelineEvent
        fields = ["id", "incident", "time", "kind", "text", "author", "metadata"]
        read_only_fields = ["id"]


class TimelineNoteUpdateSerializer(TimelineEventSerializer):
    incident = serializers.PrimaryKeyRelatedField(read_only=True)


class AuditEntrySerializer(serializers.ModelSerializer):
    """One change: when, through what, who (their login and Slack user as they were named then),
    the record, and the changed fields' values before and after."""

    incident = serializers.IntegerField(source="incident_id", allow_null=True, read_only=True)
    who = serializers.CharField(read_only=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "via",
            "who",
            "person_id",
            "person_name",
            "slack_user_id",
            "slack_user_name",
            "incident",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "before",
            "after",
            "request_id",
            "job_id",
        ]
        read_only_fields = fields
