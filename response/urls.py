"""Top-level routes (SPEC §4). Each package owns its own URLs; this file only mounts them."""

from django.contrib import admin
from django.urls import include, path

from core.views import healthz
from response.metrics.views import metrics_view

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("slack/", include("slack.urls")),
    path("core/", include("core.api.urls")),
    path("admin/", admin.site.urls),
    # Single sign-on (SPEC §18): /oidc/authenticate/ and /oidc/callback/ (ui/oidc.py).
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("ui.urls")),
]
