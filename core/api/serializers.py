"""What the API reads and writes. Serializers validate input; the views hand it to services.

Slack users are named by their Slack id (``U…``) everywhere, in paths and in writes
(``lead_external_id``, ``owner_external_id``). Severity and priority are words, not numbers.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import (
    Action,
    ActionPriority,
    ExternalUser,
    Incident,
    IncidentStatus,
    Severity,
    TimelineEvent,
    TimelineEventKind,
)


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


class IncidentSerializer(serializers.ModelSerializer):
    reporter = ExternalUserSerializer(read_only=True, allow_null=True)
    lead = ExternalUserSerializer(read_only=True, allow_null=True)
    lead_external_id = _user_by_slack_id(
        source="lead", help_text="Slack user id of the new lead, or null for none."
    )
    severity = LabelChoiceField(Severity, required=False)
    status = serializers.ChoiceField(
        choices=IncidentStatus.values,
        read_only=True,
        help_text="Derived: reported (report_only), resolved (end_time set) or live.",
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
            "report_only",
            "report_time",
            "start_time",
            "end_time",
            "duration_seconds",
            "document_url",
        ]
        read_only_fields = ["id", "report_time", "end_time"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_duration_seconds(self, incident: Incident) -> int:
        """Seconds from start to end, or to now while the incident is open."""
        return max(int(incident.duration.total_seconds()), 0)

    @extend_schema_field(OpenApiTypes.URI)
    def get_document_url(self, incident: Incident) -> str:
        path = reverse("ui:incident_detail", args=[incident.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ActionSerializer(serializers.ModelSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    owner = ExternalUserSerializer(read_only=True, allow_null=True)
    owner_external_id = _user_by_slack_id(
        source="owner", help_text="Slack user id of the owner, or null for nobody."
    )
    priority = LabelChoiceField(ActionPriority, required=False)

    class Meta:
        model = Action
        fields = [
            "id",
            "incident",
            "details",
            "owner",
            "owner_external_id",
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
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
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
