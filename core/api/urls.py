"""``/core/``: the REST API, its OpenAPI schema and its browsable docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from core.api import insights, views

app_name = "api"

router = DefaultRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("actions", views.ActionViewSet, basename="action")
router.register("timeline", views.TimelineEventViewSet, basename="timeline-event")
router.register("users", views.ExternalUserViewSet, basename="user")
router.register("roles", views.RoleViewSet, basename="role")
router.register("audit", views.AuditEntryViewSet, basename="audit-entry")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so no inline script is needed.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("insights/", insights.InsightsView.as_view(), name="insights"),
    *router.urls,
]
