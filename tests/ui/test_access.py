"""Nobody reads or changes anything without logging in: every page redirects to the login page,
every API route answers 401 or 403."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver

import core.api.urls
import ui.urls
from core.models import Action, AuditEntry, TimelineEventKind
from tests.ui import builders

pytestmark = pytest.mark.django_db

# (route name, method, path); "{i}" is an incident, "{a}" an action, "{t}" a timeline entry.
PAGES = [
    ("ui:incident_list", "get", "/"),
    ("ui:incident_list", "get", "/?status=investigating&page=2"),
    ("ui:incident_detail", "get", "/incident/{i}/"),
    ("ui:incident_detail", "get", "/incident/987654/"),
    ("ui:action_done", "post", "/action/{a}/done/"),
    ("ui:action_done", "get", "/action/{a}/done/"),
    ("ui:action_edit", "post", "/action/{a}/edit/"),
    ("ui:postmortem", "get", "/incident/{i}/postmortem/"),
    ("ui:postmortem_section", "post", "/incident/{i}/postmortem/section/summary/"),
    ("ui:postmortem_status", "post", "/incident/{i}/postmortem/status/"),
    ("ui:postmortem_markdown", "get", "/incident/{i}/postmortem.md"),
    ("ui:postmortem_print", "get", "/incident/{i}/postmortem/print/"),
    ("ui:postmortem_note", "post", "/incident/{i}/postmortem/note/"),
    ("ui:timeline_hide", "post", "/timeline/{t}/hide/"),
    ("ui:timeline_edit", "post", "/timeline/{t}/edit/"),
    ("ui:insights", "get", "/insights/"),
    ("ui:insights_csv", "get", "/insights.csv"),
    ("ui:insights_incidents", "get", "/insights/incidents/"),
]
API = [
    ("api:api-root", "get", "/core/"),
    ("api:schema", "get", "/core/schema/"),
    ("api:docs", "get", "/core/docs/"),
    ("api:docs", "get", "/core/docs/?script="),
    ("api:incident-list", "get", "/core/incidents/"),
    ("api:incident-list", "post", "/core/incidents/"),
    ("api:incident-detail", "get", "/core/incidents/{i}/"),
    ("api:incident-detail", "patch", "/core/incidents/{i}/"),
    ("api:incident-detail", "put", "/core/incidents/{i}/"),
    ("api:incident-detail", "delete", "/core/incidents/{i}/"),
    ("api:incident-close", "post", "/core/incidents/{i}/close/"),
    ("api:incident-status", "post", "/core/incidents/{i}/status/"),
    ("api:incident-role", "put", "/core/incidents/{i}/roles/lead/"),
    ("api:incident-milestone", "put", "/core/incidents/{i}/milestones/detected/"),
    ("api:role-list", "get", "/core/roles/"),
    ("api:role-detail", "get", "/core/roles/lead/"),
    ("api:insights", "get", "/core/insights/"),
    ("api:action-list", "get", "/core/actions/"),
    ("api:action-list", "post", "/core/actions/"),
    ("api:action-detail", "get", "/core/actions/{a}/"),
    ("api:action-detail", "patch", "/core/actions/{a}/"),
    ("api:timeline-event-list", "get", "/core/timeline/"),
    ("api:timeline-event-list", "post", "/core/timeline/"),
    ("api:timeline-event-detail", "get", "/core/timeline/{t}/"),
    ("api:timeline-event-detail", "patch", "/core/timeline/{t}/"),
    ("api:user-list", "get", "/core/users/"),
    ("api:user-detail", "get", "/core/users/U0ALICE/"),
    ("api:incident-list", "get", "/core/incidents.json"),
    ("api:audit-entry-list", "get", "/core/audit/"),
    ("api:audit-entry-detail", "get", "/core/audit/{e}/"),
]
# Public on purpose: the way in, and the icon.
PUBLIC = {"ui:login", "ui:favicon"}


@pytest.fixture
def ids():
    alice = builders.slack_user("U0ALICE", "alice")
    incident = builders.incident("secret", reporter=alice, summary="do not show")
    action = Action.objects.create(incident=incident, details="secret action")
    entry = incident.timeline_events.create(kind=TimelineEventKind.NOTE, text="secret note")
    audit = AuditEntry.objects.filter(incident_id=incident.pk).first()
    return {"i": incident.pk, "a": action.pk, "t": entry.pk, "e": audit.pk}


@pytest.mark.parametrize(("name", "method", "path"), PAGES, ids=[f"{m} {p}" for _, m, p in PAGES])
def test_pages_send_anonymous_people_to_log_in(client, ids, name, method, path):
    url = path.format(**ids)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert b"secret" not in response.content


@pytest.mark.parametrize(("name", "method", "path"), API, ids=[f"{m} {p}" for _, m, p in API])
def test_api_refuses_anonymous_requests(client, ids, name, method, path):
    url = path.format(**ids)
    response = getattr(client, method)(url, content_type="application/json", data={"title": "x"})
    assert response.status_code in (401, 403)
    assert b"secret" not in response.content


def test_api_tells_scripts_to_use_basic_auth(client):
    response = client.get("/core/incidents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


def test_logout_of_nobody_goes_to_login(client):
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_wrong_basic_credentials_are_refused(client):
    builders.login_user("responder")
    response = client.get(
        "/core/incidents/", HTTP_AUTHORIZATION="Basic cmVzcG9uZGVyOndyb25n"
    )  # responder:wrong
    assert response.status_code == 401


def _route_names(patterns, namespace: str) -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _route_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}")
    return names


def test_every_route_is_covered_above():
    routes = _route_names(ui.urls.urlpatterns, "ui") | _route_names(
        core.api.urls.urlpatterns, "api"
    )
    covered = {name for name, _, _ in PAGES + API} | PUBLIC | {"ui:logout"}
    assert routes - covered == set()
