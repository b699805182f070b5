from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.views.decorators.http import require_POST
from procrastinate.contrib.django.models import ProcrastinateJob

from core.admin import ConfigurationAdmin
from core.models import SlackUserGroup
from slack.models import (
    CommsChannel,
    FailedAttempt,
    HeadlinePost,
    Notification,
    ProcessedEvent,
)
from slack.user_groups import schedule_refresh


@admin.register(CommsChannel)
class CommsChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "channel_id", "incident", "created_at"]
    search_fields = ["name", "channel_id", "incident__title"]
    list_select_related = ["incident"]
    raw_id_fields = ["incident"]


@admin.register(HeadlinePost)
class HeadlinePostAdmin(admin.ModelAdmin):
    list_display = ["incident", "channel_id", "ts", "posted_at"]
    search_fields = ["incident__title", "ts"]
    list_select_related = ["incident"]
    raw_id_fields = ["incident"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["key", "incident", "times_sent", "last_sent_at"]
    list_filter = ["key"]
    search_fields = ["key", "incident__title"]
    list_select_related = ["incident"]
    raw_id_fields = ["incident"]


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "received_at"]
    list_filter = ["event_type"]
    search_fields = ["event_id"]
    date_hierarchy = "received_at"


@admin.register(FailedAttempt)
class FailedAttemptAdmin(admin.ModelAdmin):
    """Deliveries that did not go through at once: Slack's error, and what happens next."""

    list_display = [
        "failed_at",
        "task_name",
        "slack_method",
        "error_code",
        "attempt",
        "next_attempt",
        "job_status",
    ]
    list_filter = ["task_name", "error_code", "slack_method"]
    search_fields = ["task_name", "error_code", "message", "job_id"]
    date_hierarchy = "failed_at"
    readonly_fields = [field.name for field in FailedAttempt._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FailedAttempt]:
        # The job's current state in the same query, not one query per row.
        job_status = ProcrastinateJob.objects.filter(id=OuterRef("job_id")).values("status")[:1]
        return super().get_queryset(request).annotate(current_status=Subquery(job_status))

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, attempt: FailedAttempt) -> str:
        if attempt.next_attempt_at is None:
            return "gave up"
        return attempt.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S %Z")

    @admin.display(description="job now")
    def job_status(self, attempt: FailedAttempt) -> str:
        return getattr(attempt, "current_status", None) or "removed"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


from slack.setup_check.admin import install as install_setup_check  # noqa: E402
from slack.workflows import admin as workflow_admin  # noqa: E402, F401 (registers WorkflowAdmin)

install_setup_check(admin.site)  # the Setup check page, linked from the admin's index


@admin.register(SlackUserGroup)
class SlackUserGroupAdmin(ConfigurationAdmin):
    """Slack user groups, read from Slack every ten minutes; map one to a Django group and its
    members act with that group's permissions (SPEC §18)."""

    list_display = ["__str__", "name", "group", "member_count", "disabled", "refreshed_at"]
    list_editable = ["group"]
    list_filter = ["disabled", "group"]
    search_fields = ["handle", "name", "external_id"]
    fields = ["external_id", "handle", "name", "group", "disabled", "members", "refreshed_at"]
    readonly_fields = ["external_id", "handle", "name", "disabled", "members", "refreshed_at"]
    list_select_related = ["group"]
    change_list_template = "admin/core/slackusergroup/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, group: SlackUserGroup) -> int:
        return group.member_total

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # they come from Slack

    def get_urls(self) -> list:
        refresh = self.admin_site.admin_view(require_POST(self.refresh_view))
        return [
            path("refresh/", refresh, name="core_slackusergroup_refresh"),
            *super().get_urls(),
        ]

    def refresh_view(self, request: HttpRequest) -> HttpResponse:
        """Read the user groups from Slack now, rather than at the next ten minutes."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if schedule_refresh():
            self.message_user(request, "The user groups will be read from Slack in a moment.")
        else:
            self.message_user(request, "A refresh is already on its way.", messages.WARNING)
        return redirect("admin:core_slackusergroup_changelist")
