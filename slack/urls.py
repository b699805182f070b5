from django.urls import path

from slack import manifest
from slack.incoming import views

app_name = "slack"

urlpatterns = [
    path("slash_command", views.slash_command, name="slash_command"),
    path("event", views.event, name="event"),
    path("action", views.action, name="action"),
    path("cron_minute", views.cron_minute, name="cron_minute"),
    path("manifest", manifest.manifest_view, name="manifest"),
]
