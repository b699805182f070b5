from django.contrib import admin

from slack.models import CommsChannel, HeadlinePost, Notification, ProcessedEvent, UserStats


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


@admin.register(UserStats)
class UserStatsAdmin(admin.ModelAdmin):
    list_display = ["incident", "user", "message_count", "first_message_at"]
    search_fields = ["incident__title", "user__display_name", "user__external_id"]
    list_select_related = ["incident", "user"]
    raw_id_fields = ["incident", "user"]


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


from slack.workflows import admin as workflow_admin  # noqa: E402, F401 (registers WorkflowAdmin)
