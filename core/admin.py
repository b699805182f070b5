from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from core import selectors, services
from core.access import Permission, allowed, current, visible_incidents
from core.access.selectors import permission_holders
from core.models import (
    AccessRequest,
    Action,
    AuditEntry,
    ExternalUser,
    Incident,
    IncidentAccess,
    Milestone,
    Participation,
    Role,
    RoleAssignment,
    TimelineEvent,
    UpdateCadence,
)


class ConfigurationAdmin(admin.ModelAdmin):
    """Configuration (SPEC §18): with ``ACCESS_POLICY=restricted``, only those granted
    ``configure`` may add, change or delete it; the others still see it. Django's own model
    permissions apply on top, under either policy."""

    def may_configure(self, request) -> bool:
        return allowed(current(), Permission.CONFIGURE)

    def has_add_permission(self, request, *args) -> bool:
        return self.may_configure(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.may_configure(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.may_configure(request) and super().has_delete_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class PermissionGroupAdmin(ConfigurationAdmin, GroupAdmin):
    """Groups and the permissions they grant; the list shows who has each named permission."""

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "permission_holders": permission_holders(),
            "access_policy": settings.ACCESS_POLICY,
        }
        return super().changelist_view(request, extra_context)


class ActionInline(admin.TabularInline):
    model = Action
    extra = 0
    fields = ["details", "owner", "status", "priority", "due_at"]
    autocomplete_fields = ["owner"]


class ReadOnlyInline(admin.TabularInline):
    """Shown, not edited: roles and milestones change through Slack, the web page or the API,
    where the lifecycle rules are checked and each change goes on the timeline."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class RoleAssignmentInline(ReadOnlyInline):
    model = RoleAssignment
    fields = ["role", "holder", "assigned_at", "assigned_by"]
    readonly_fields = fields


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ["kind", "time", "set_by", "updated_at"]
    readonly_fields = fields


def _visible(request) -> QuerySet[Incident]:
    """The incidents the signed-in staff member may see (superusers: all of them)."""
    return visible_incidents()


class OfVisibleIncidents:
    """Records of incidents the staff member may see: a private incident's stay out of view
    for staff who are not in it, as on every other page."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(incident__in=_visible(request).values("pk"))


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "status_label", "severity", "drill", "reporter", "report_time"]
    list_display_links = ["id", "title"]
    list_filter = ["status", "severity", "drill", "private", "report_only"]
    search_fields = ["title", "summary", "impact"]
    date_hierarchy = "report_time"
    list_select_related = ["reporter"]
    autocomplete_fields = ["reporter"]
    inlines = [RoleAssignmentInline, MilestoneInline, ActionInline]
    exclude = ["merged_into"]
    # Writes from the admin bypass core.services, so the fields that drive Slack are read-only here;
    # the status moves by the rules of SPEC §14 from Slack, the web page or the API.
    # Private is decided once, at declaration, from Slack (SPEC §18).
    readonly_fields = ["status", "end_time", "private"]

    def get_queryset(self, request):
        return visible_incidents(super().get_queryset(request))

    def save_model(self, request, obj: Incident, form, change: bool) -> None:
        # Route admin edits through the services so the timeline and Slack stay in step.
        if not change:
            declared = services.incident_declare(
                title=obj.title,
                reporter=obj.reporter,
                summary=obj.summary,
                impact=obj.impact,
                severity=obj.severity,
                report_only=obj.report_only,
                report_time=obj.report_time,
            )
            obj.pk = declared.pk
            return
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.UPDATABLE_FIELDS
        }
        original = Incident.objects.get(pk=obj.pk)
        services.incident_update(incident=original, **changed)

    @admin.display(description="status")
    def status_label(self, obj: Incident) -> str:
        return f"{obj.status_emoji} {obj.status_label}"


@admin.register(ExternalUser)
class ExternalUserAdmin(admin.ModelAdmin):
    list_display = ["external_id", "display_name", "full_name", "email", "deleted", "refreshed_at"]
    list_filter = ["deleted"]
    search_fields = ["external_id", "display_name", "full_name", "email"]


@admin.register(Action)
class ActionAdmin(OfVisibleIncidents, admin.ModelAdmin):
    list_display = ["details", "incident", "owner", "status", "priority", "due_at"]
    list_filter = ["status", "priority"]
    search_fields = ["details", "incident__title"]
    list_select_related = ["incident", "owner"]
    autocomplete_fields = ["incident", "owner"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(OfVisibleIncidents, admin.ModelAdmin):
    list_display = ["time", "incident", "kind", "author", "hidden", "short_text"]
    list_filter = ["kind", "hidden"]
    search_fields = ["text", "incident__title"]
    list_select_related = ["incident", "author"]
    autocomplete_fields = ["incident", "author"]

    @admin.display(description="text")
    def short_text(self, obj: TimelineEvent) -> str:
        return obj.text[:80]


@admin.register(Participation)
class ParticipationAdmin(OfVisibleIncidents, admin.ModelAdmin):
    list_display = ["incident", "user", "message_count", "first_message_at"]
    search_fields = ["incident__title", "user__display_name", "user__external_id"]
    list_select_related = ["incident", "user"]
    raw_id_fields = ["incident", "user"]


@admin.register(Role)
class RoleAdmin(ConfigurationAdmin):
    """The roles people can hold in an incident; a new holder gets ``duty`` by DM."""

    list_display = ["name", "label", "duty", "order"]
    list_editable = ["order"]
    search_fields = ["name", "label"]


@admin.register(UpdateCadence)
class UpdateCadenceAdmin(ConfigurationAdmin):
    """How often an update is due, per severity (SPEC §15). A severity with no row here uses the
    default (critical 30 min, major 60, minor 240, trivial none); an empty interval is none.
    Below one minute is refused by the model's validator, with the reason, on the form."""

    list_display = ["severity", "interval_minutes"]
    list_editable = ["interval_minutes"]
    ordering = ["severity"]


class AuditIncidentFilter(admin.SimpleListFilter):
    """The incidents declared most recently (``?incident=<id>`` reaches any other)."""

    title = "incident"
    parameter_name = "incident"
    SHOWN = 20

    def lookups(self, request, model_admin):
        recent = Incident.objects.order_by("-pk").values_list("pk", "title")[: self.SHOWN]
        return [(str(pk), f"#{pk} {title}"[:60]) for pk, title in recent]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(incident_id=value) if value and value.isdigit() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log (SPEC §18): read, never written here; the database refuses changes anyway."""

    list_display = ["at", "via", "who", "action", "object_type", "object_id", "incident_id"]
    list_filter = ["via", AuditIncidentFilter, "action", "object_type", "at"]
    search_fields = ["person_name", "slack_user_name", "slack_user_id"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def get_queryset(self, request):
        # The entries of a private incident stay out of view for staff who are not in it.
        return selectors.audit_entries()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="who", ordering="person_name")
    def who(self, entry: AuditEntry) -> str:
        return entry.who


@admin.register(IncidentAccess)
class IncidentAccessAdmin(OfVisibleIncidents, admin.ModelAdmin):
    """Who may see each private incident, and why; written from Slack (membership, approvals)."""

    list_display = ["incident", "user", "reason", "granted_by", "granted_at"]
    list_filter = ["reason"]
    list_select_related = ["incident", "user", "granted_by"]
    readonly_fields = ["incident", "user", "reason", "granted_by", "granted_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(OfVisibleIncidents, admin.ModelAdmin):
    list_display = ["incident", "requester", "status", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["incident", "requester", "decided_by"]
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False
