"""API views: thin. Reads come from ``core.selectors``, every write goes through ``core.services``,
so timeline change entries are recorded and Slack hears of changes exactly as from Slack itself.

Incidents cannot be created (declaring is Slack's job: it opens the headline and channel flow) or
deleted (an incident is a record); they can be changed, moved between statuses, given role holders
and milestone times, and closed.

Refusals: invalid input is 400 with the fields at fault; a status move the table of SPEC §14 does
not allow is 409 ``{"detail": …, "allowed": [...]}`` (see ``core.api.errors``); a milestone time
out of order or in the future is 400 ``{"detail": …}`` naming the milestones; an unknown role or
milestone in a path is 404 naming the known ones.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core import selectors, services
from core.access import visible_incidents
from core.api import filters, serializers
from core.api.acting import ActingAPIView
from core.models import AuditEntry, ExternalUser, Incident, MilestoneKind, Role

ERROR = OpenApiResponse(description="The request was refused; `detail` or the fields say why.")
REFUSED_MOVE = OpenApiResponse(
    response=serializers.TransitionRefusedSerializer,
    description="The move is not allowed from the incident's status; `allowed` lists the moves "
    "that are.",
)
ROLE_PARAMETER = OpenApiParameter(
    "role", OpenApiTypes.STR, OpenApiParameter.PATH, description="A role's name (GET /core/roles/)."
)
MILESTONE_PARAMETER = OpenApiParameter(
    "kind",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=MilestoneKind.values,
    description="The milestone.",
)


def _of_visible_incidents(records: QuerySet, request: Request) -> QuerySet:
    """Records of incidents the caller (who acts: ``ActingAPIView``) may see; those of a private
    incident they are not in answer 404, as one that never existed."""
    return records.filter(incident__in=visible_incidents().values("pk"))


def _actor(request: Request) -> ExternalUser | None:
    """The Slack user linked to the logged-in account: changes are recorded as theirs."""
    return selectors.external_user_for_login(user=request.user)


class AmendableRecordViewSet(
    ActingAPIView,
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
class IncidentViewSet(
    ActingAPIView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = serializers.IncidentSerializer
    filterset_class = filters.IncidentFilter

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.with_milestone_times(visible_incidents(selectors.incident_list()))

    def known_count(self) -> int | None:
        """How many incidents the list's filters give, counted without reading them where the
        filters allow (``IncidentFilter.count``)."""
        filterset = getattr(self, "filterset", None)  # left by the filter backend
        return filterset.count() if filterset is not None and filterset.is_valid() else None

    def _answer(self, incident: Incident) -> Response:
        """The incident as it is now, read again: a write changes roles and milestones too."""
        fresh = self.get_queryset().get(pk=incident.pk)
        return Response(
            serializers.IncidentSerializer(fresh, context=self.get_serializer_context()).data
        )

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        serializer = self.get_serializer(incident, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.incident_update(
            incident=incident, actor=_actor(request), **serializer.validated_data
        )
        return self._answer(incident)

    @extend_schema(
        summary="Close (resolve) an incident",
        request=None,
        responses={
            200: serializers.IncidentSerializer,
            409: OpenApiResponse(
                response=serializers.CloseRefusedSerializer,
                description="The incident was already closed, or cannot be resolved from its "
                "status (from triage it is declined instead: POST …/status/).",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        services.incident_close(incident=incident, actor=_actor(request))
        return self._answer(incident)

    @extend_schema(
        summary="Move an incident to another status",
        description=(
            "Moves follow the table of statuses: the response lists the allowed moves when one "
            "is refused. Reopening (resolved → investigating) needs a `reason`; `merged` needs "
            "`merged_into`. Entering monitoring sets the mitigated milestone (unless set), "
            "resolving sets resolved and the end time; a reopen clears them."
        ),
        request=serializers.StatusChangeSerializer,
        responses={200: serializers.IncidentSerializer, 409: REFUSED_MOVE},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        change = serializers.StatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        services.incident_status_set(
            incident=incident,
            status=change.validated_data["status"],
            reason=change.validated_data.get("reason", ""),
            merged_into=change.validated_data.get("merged_into"),
            actor=_actor(request),
        )
        return self._answer(incident)

    @extend_schema(
        summary="Give a role to someone, or to nobody",
        description="One holder per role; the change lands on the timeline and the new holder "
        "hears of it in Slack.",
        parameters=[ROLE_PARAMETER],
        request=serializers.RoleHolderSerializer,
        responses={200: serializers.IncidentSerializer},
    )
    @action(detail=True, methods=["put"], url_path=r"roles/(?P<role>[^/]+)")
    def role(self, request: Request, pk: str | None = None, role: str = "") -> Response:
        incident = self.get_object()
        known = _role_named(role)
        holder = serializers.RoleHolderSerializer(data=request.data)
        holder.is_valid(raise_exception=True)
        services.role_assign(
            incident=incident,
            role=known,
            holder=holder.validated_data["holder_external_id"],
            actor=_actor(request),
        )
        return self._answer(incident)

    @extend_schema(
        summary="Set a milestone's time (backdating allowed)",
        description="Refused (400, naming both milestones) when it would break the order, and "
        "when the time is in the future. `resolved` is set by resolving; it can be moved once "
        "the incident is resolved.",
        parameters=[MILESTONE_PARAMETER],
        request=serializers.MilestoneTimeSerializer,
        responses={200: serializers.IncidentSerializer},
    )
    @action(detail=True, methods=["put"], url_path=r"milestones/(?P<kind>[^/]+)")
    def milestone(self, request: Request, pk: str | None = None, kind: str = "") -> Response:
        incident = self.get_object()
        if kind not in MilestoneKind.values:
            raise NotFound(
                f"There is no milestone “{kind}”. Milestones: {', '.join(MilestoneKind.values)}."
            )
        body = serializers.MilestoneTimeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.milestone_set(
            incident=incident, kind=kind, time=body.validated_data["time"], actor=_actor(request)
        )
        return self._answer(incident)


def _role_named(name: str) -> Role:
    """The role in a path; an unknown one is 404, naming the roles there are."""
    try:
        return services.role_named(name)
    except services.UnknownRole as unknown:
        raise NotFound(unknown.message) from unknown


@extend_schema_view(
    list=extend_schema(summary="List the configured roles in their order"),
    retrieve=extend_schema(summary="Read a role by name"),
)
class RoleViewSet(ActingAPIView, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.RoleSerializer
    lookup_field = "name"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self) -> QuerySet[Role]:
        return selectors.role_list()


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
        return _of_visible_incidents(selectors.action_list(), self.request)

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
        return _of_visible_incidents(selectors.timeline_event_list(), self.request)

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
class ExternalUserViewSet(ActingAPIView, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ExternalUserSerializer
    filterset_class = filters.ExternalUserFilter
    lookup_field = "external_id"
    lookup_value_regex = "[A-Za-z0-9]+"

    def get_queryset(self):
        return selectors.external_user_list()


@extend_schema_view(
    list=extend_schema(
        summary="List the audit log, newest first",
        description="Every change, from Slack, the browser, the API or the admin: who, through "
        "what, the record, and the changed fields before and after. Read-only: the database "
        "itself refuses to change or remove an entry.",
    ),
    retrieve=extend_schema(summary="Read an audit entry"),
)
class AuditEntryViewSet(ActingAPIView, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.AuditEntrySerializer
    filterset_class = filters.AuditEntryFilter

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return selectors.audit_entries()
