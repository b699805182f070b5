from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from core import services
from core.access import Acting, Permission, Via, allowed
from core.access.selectors import permission_holders
from core.models import (
    Action,
    ExternalUser,
    Incident,
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
        return allowed(Acting.for_person(request.user, Via.ADMIN), Permission.CONFIGURE)

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


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "status_label", "severity", "drill", "reporter", "report_time"]
    list_display_links = ["id", "title"]
    list_filter = ["status", "severity", "drill", "report_only"]
    search_fields = ["title", "summary", "impact"]
    date_hierarchy = "report_time"
    list_select_related = ["reporter"]
    autocomplete_fields = ["reporter"]
    inlines = [RoleAssignmentInline, MilestoneInline, ActionInline]
    exclude = ["merged_into"]
    # Writes from the admin bypass core.services, so the fields that drive Slack are read-only here;
    # the status moves by the rules of SPEC §14 from Slack, the web page or the API.
    readonly_fields = ["status", "end_time"]

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
class ActionAdmin(admin.ModelAdmin):
    list_display = ["details", "incident", "owner", "status", "priority", "due_at"]
    list_filter = ["status", "priority"]
    search_fields = ["details", "incident__title"]
    list_select_related = ["incident", "owner"]
    autocomplete_fields = ["incident", "owner"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["time", "incident", "kind", "author", "hidden", "short_text"]
    list_filter = ["kind", "hidden"]
    search_fields = ["text", "incident__title"]
    list_select_related = ["incident", "author"]
    autocomplete_fields = ["incident", "author"]

    @admin.display(description="text")
    def short_text(self, obj: TimelineEvent) -> str:
        return obj.text[:80]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
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
