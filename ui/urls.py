"""Server-rendered pages (SPEC §10): the incident list, the incident document, ticking its
follow-ups, login and logout."""

from django.contrib.auth import views as auth_views
from django.urls import path

from ui import insights, views
from ui.login import LoginPage

app_name = "ui"

urlpatterns = [
    path("", views.incident_list, name="incident_list"),
    path("incident/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path("incident/<int:incident_id>/postmortem/", views.postmortem_page, name="postmortem"),
    path(
        "incident/<int:incident_id>/postmortem/section/<slug:key>/",
        views.postmortem_section,
        name="postmortem_section",
    ),
    path(
        "incident/<int:incident_id>/postmortem/status/",
        views.postmortem_status,
        name="postmortem_status",
    ),
    path(
        "incident/<int:incident_id>/postmortem.md",
        views.postmortem_markdown,
        name="postmortem_markdown",
    ),
    path(
        "incident/<int:incident_id>/postmortem/print/",
        views.postmortem_print,
        name="postmortem_print",
    ),
    path(
        "incident/<int:incident_id>/postmortem/note/",
        views.postmortem_note,
        name="postmortem_note",
    ),
    path("timeline/<int:entry_id>/hide/", views.timeline_hide, name="timeline_hide"),
    path("timeline/<int:entry_id>/edit/", views.timeline_edit, name="timeline_edit"),
    path("insights/", insights.insights_page, name="insights"),
    path("insights.csv", insights.insights_csv, name="insights_csv"),
    path("insights/incidents/", insights.insights_incidents, name="insights_incidents"),
    path("action/<int:action_id>/done/", views.action_done, name="action_done"),
    path("action/<int:action_id>/edit/", views.action_edit, name="action_edit"),
    path("login/", LoginPage.as_view(), name="login"),
    # Browsers ask for /favicon.ico on pages that name none (JSON, the browsable API).
    path("favicon.ico", views.favicon, name="favicon"),
    # Django's LogoutView accepts POST only, so a link or an image cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(next_page="ui:login"), name="logout"),
]
