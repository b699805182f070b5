"""The admin's *Setup check* page: the checks ``manage.py doctor`` runs, as a table, for staff.

Django's admin has no place for a page that is not a model's, so the site's URLs get one more
(``/admin/setup-check/``, behind ``admin_view``: staff only) and its index a link to it.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from slack.setup_check import checks  # noqa: F401 (registers the checks)
from slack.setup_check.registry import exit_code, run_checks, summary

INDEX_TEMPLATE = "slack/admin/index.html"


def setup_check_view(request: HttpRequest, site: admin.AdminSite) -> TemplateResponse:
    results = run_checks()
    context = {
        **site.each_context(request),
        "title": "Setup check",
        "results": results,
        "summary": summary(results, point_to_doctor=False),  # the fixes are on the page
        "failed": bool(exit_code(results)),
    }
    return TemplateResponse(request, "slack/admin/setup_check.html", context)


def install(site: admin.AdminSite) -> None:
    """Add the page to ``site`` and link it from the admin's index."""
    original = site.get_urls

    def get_urls() -> list[URLResolver | URLPattern]:
        view = site.admin_view(lambda request: setup_check_view(request, site))
        return [path("setup-check/", view, name="setup_check"), *original()]

    site.get_urls = get_urls  # type: ignore[method-assign]
    site.index_template = INDEX_TEMPLATE
