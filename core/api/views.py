"""API views: thin. Reads come from ``core.selectors``, every write goes through ``core.services``,
so timeline change entries are recorded and Slack hears of changes exactly as from Slack itself.

Incidents cannot be created (declaring is Slack's job: it opens the headline and channel flow) or
deleted (an incident is a record); they can be changed and closed.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core import selectors, services
from core.api import filters, serializers
from core.models import ExternalUser

ERROR = OpenApiResponse(description="The request was refused; `detail` or the fields say why.")


def _actor(request: Request) -> ExternalUser | None:
    """The Slack user linked to the logged-in account: changes are recorded as theirs."""
    return selectors.external_user_for_login(user=request.user)


class AmendableRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Records people add and amend (never delete): list, read, create, and PATCH through a
    service. Subclasses name the PATCH serializer and the service call."""

    update_serializer_class: type[BaseSerializer]

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "partial_update":
            return self.update_serializer_class
        return self.serializer_class

    def apply_update(self, record, changes: dict) -> None:
        raise NotImplementedError

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        self.apply_update(record, serializer.validated_data)
        return Response(self.serializer_class(record, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary="List incidents, newest first"),
    retrieve=extend_schema(summary="Read an incident"),
    partial_update=extend_schema(
        summary="Change an incident",
        description="Each changed field is recorded on the incident's timeline.",
        responses={200: serializers.IncidentSerializer, 400: ERROR},
    ),
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.IncidentSerializer
    filterset_class = filters.IncidentFilter

    def get_queryset(self):
        return selectors.incident_list()

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        serializer = self.get_serializer(incident, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.incident_update(
            incident=incident, actor=_actor(request), **serializer.validated_data
        )
        return Response(self.get_serializer(incident).data)

    @extend_schema(
        summary="Close an incident",
        request=None,
        responses={
            200: serializers.IncidentSerializer,
            409: OpenApiResponse(description="The incident was already closed."),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        services.incident_close(incident=incident, actor=_actor(request))
        return Response(self.get_serializer(incident).data)


@extend_schema_view(
    list=extend_schema(summary="List follow-up actions"),
    retrieve=extend_schema(summary="Read a follow-up action"),
    create=extend_schema(
        summary="Log a follow-up action",
        responses={201: serializers.ActionSerializer, 400: ERROR},
    ),
    partial_update=extend_schema(
        summary="Change a follow-up action",
        description="Marking an action done stamps `done_at`; reopening it clears it.",
        request=serializers.ActionUpdateSerializer,
        responses={200: serializers.ActionSerializer, 400: ERROR},
    ),
)
class ActionViewSet(AmendableRecordViewSet):
    serializer_class = serializers.ActionSerializer
    update_serializer_class = serializers.ActionUpdateSerializer
    filterset_class = filters.ActionFilter

    def get_queryset(self):
        return selectors.action_list()

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = services.action_log(**serializer.validated_data)

    def apply_update(self, record, changes: dict) -> None:
        services.action_update(action=record, **changes)


@extend_schema_view(
    list=extend_schema(summary="List timeline entries in time order"),
    retrieve=extend_schema(summary="Read a timeline entry"),
    create=extend_schema(
        summary="Add a note to an incident's timeline",
        responses={201: serializers.TimelineEventSerializer, 400: ERROR},
    ),
    partial_update=extend_schema(
        summary="Edit a note",
        description=(
            "Only notes can be edited: pinned messages follow Slack, and incident changes are "
            "a record of what happened."
        ),
        request=serializers.TimelineNoteUpdateSerializer,
        responses={200: serializers.TimelineEventSerializer, 400: ERROR},
    ),
)
class TimelineEventViewSet(AmendableRecordViewSet):
    serializer_class = serializers.TimelineEventSerializer
    update_serializer_class = serializers.TimelineNoteUpdateSerializer
    filterset_class = filters.TimelineEventFilter

    def get_queryset(self):
        return selectors.timeline_event_list()

    def perform_create(self, serializer: BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.timeline_note_add(
            incident=data["incident"],
            text=data["text"],
            time=data.get("time"),
            author=_actor(self.request),
        )

    def apply_update(self, record, changes: dict) -> None:
        services.timeline_note_update(entry=record, **changes)


@extend_schema_view(
    list=extend_schema(summary="List the Slack users Response knows"),
    retrieve=extend_schema(summary="Read a Slack user by Slack id"),
)
class ExternalUserViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ExternalUserSerializer
    filterset_class = filters.ExternalUserFilter
    lookup_field = "external_id"
    lookup_value_regex = "[A-Za-z0-9]+"

    def get_queryset(self):
        return selectors.external_user_list()
