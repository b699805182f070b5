"""Nobody reads or changes anything without logging in: every page redirects to the login page,
every API route answers 401 or 403. And the security review (README, "Security review"): every
URL pattern of the URLconf, walked as an anonymous visitor, as a plain signed-in person and as
a person outside a private incident, answers as the table ``ROUTES`` / ``WALK`` says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core import services
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
    ("ui:timeline_edit", "get", "/timeline/{t}/edit/"),
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
    ("api:audit-entry-list", "get", "/core/audit/"),
    ("api:audit-entry-detail", "get", "/core/audit/{e}/"),
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


# --- The security review ------------------------------------------------------------------------

# Who may use each route, and what everyone else gets: the README's table is this one. Every
# pattern of the URLconf has a row (``admin:*`` stands for the Django admin's own routes), so a
# new route without a rule fails ``test_every_url_pattern_has_a_rule``.
SIGNED_IN = "signed-in people"
TO_LOG_IN = "anonymous: sent to log in (302)"
API_401 = "anonymous: 401 (Basic / Token challenge)"
PRIVATE_404 = "a private incident's outsiders: 404, as for an id that never existed"
PRIVATE_LEFT_OUT = "private incidents an outsider is not in are left out"
ROUTES: dict[str, tuple[str, str]] = {
    "ui:incident_list": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_LEFT_OUT}"),
    "ui:incident_detail": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:postmortem": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:postmortem_section": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:postmortem_status": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:postmortem_markdown": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:postmortem_print": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:postmortem_note": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:timeline_hide": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:timeline_edit": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:action_done": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:action_edit": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_404}"),
    "ui:insights": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_LEFT_OUT} of the counts"),
    "ui:insights_csv": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_LEFT_OUT} of the counts"),
    "ui:insights_incidents": (SIGNED_IN, f"{TO_LOG_IN}; {PRIVATE_LEFT_OUT}"),
    "ui:login": ("everyone (the way in)", "signed-in people: sent on to the list"),
    "ui:logout": ("everyone, POST only (a link cannot sign anyone out)", "GET: 405"),
    "ui:favicon": ("everyone", "-"),
    "api:api-root": (SIGNED_IN, API_401),
    "api:schema": (SIGNED_IN, API_401),
    "api:docs": (SIGNED_IN, API_401),
    "api:insights": (SIGNED_IN, f"{API_401}; {PRIVATE_LEFT_OUT} of the counts"),
    "api:incident-list": (SIGNED_IN, f"{API_401}; {PRIVATE_LEFT_OUT}; POST: 405"),
    "api:incident-detail": (SIGNED_IN, f"{API_401}; {PRIVATE_404}; PUT, DELETE: 405"),
    "api:incident-close": (SIGNED_IN, f"{API_401}; {PRIVATE_404}"),
    "api:incident-status": (SIGNED_IN, f"{API_401}; {PRIVATE_404}"),
    "api:incident-role": (SIGNED_IN, f"{API_401}; {PRIVATE_404}"),
    "api:incident-milestone": (SIGNED_IN, f"{API_401}; {PRIVATE_404}"),
    "api:action-list": (SIGNED_IN, f"{API_401}; {PRIVATE_LEFT_OUT}, and cannot be named"),
    "api:action-detail": (SIGNED_IN, f"{API_401}; {PRIVATE_404}"),
    "api:timeline-event-list": (SIGNED_IN, f"{API_401}; {PRIVATE_LEFT_OUT}, and cannot be named"),
    "api:timeline-event-detail": (SIGNED_IN, f"{API_401}; {PRIVATE_404}"),
    "api:user-list": (SIGNED_IN, API_401),
    "api:user-detail": (SIGNED_IN, API_401),
    "api:role-list": (SIGNED_IN, API_401),
    "api:role-detail": (SIGNED_IN, API_401),
    "api:audit-entry-list": (SIGNED_IN, f"{API_401}; {PRIVATE_LEFT_OUT}; read-only"),
    "api:audit-entry-detail": (SIGNED_IN, f"{API_401}; {PRIVATE_404}; read-only"),
    "healthz": ("everyone (load balancers)", "-"),
    "metrics": ("scrapers with `METRICS_TOKEN` (Bearer)", "404 while unset; 401/403 without it"),
    "slack:slash_command": ("Slack (signed v0 request)", "unsigned or badly signed: 403"),
    "slack:event": ("Slack (signed v0 request)", "unsigned or badly signed: 403"),
    "slack:action": ("Slack (signed v0 request)", "unsigned or badly signed: 403"),
    "slack:cron_minute": ("the cron (`Bearer $CRON_TOKEN`)", "403"),
    "slack:manifest": ("everyone (holds no secret)", "-"),
    "admin:*": ("staff, as the admin grants (superusers see private incidents)", TO_LOG_IN),
    "oidc_authentication_init": ("everyone (starts single sign-on)", "-"),
    "oidc_authentication_callback": ("the identity provider's redirect", "no valid state: 302"),
    "oidc_logout": ("everyone, POST only", "-"),
}

LOGIN, API_REFUSED = 302, 401
# (route, method, path, anonymous, plain person, outsider): the statuses each gets. {i}, {a} and
# {t} are an incident, its follow-up and a timeline entry: the plain person asks about a
# public incident's, the outsider (a plain person too) and the anonymous visitor about a
# private incident's. None: the route names no incident, so the outsider gets what anyone gets.
# A member of the private incident gets what the plain person gets (checked too).
WALK = [
    ("ui:incident_list", "get", "/", LOGIN, 200, None),
    ("ui:incident_detail", "get", "/incident/{i}/", LOGIN, 200, 404),
    ("ui:action_done", "post", "/action/{a}/done/", LOGIN, 302, 404),
    ("ui:action_done", "get", "/action/{a}/done/", LOGIN, 302, 404),
    ("ui:action_edit", "post", "/action/{a}/edit/", LOGIN, 400, 404),
    ("ui:postmortem", "get", "/incident/{i}/postmortem/", LOGIN, 200, 404),
    ("ui:postmortem_section", "post", "/incident/{i}/postmortem/section/summary/", LOGIN, 400, 404),
    ("ui:postmortem_status", "post", "/incident/{i}/postmortem/status/", LOGIN, 302, 404),
    ("ui:postmortem_markdown", "get", "/incident/{i}/postmortem.md", LOGIN, 200, 404),
    ("ui:postmortem_print", "get", "/incident/{i}/postmortem/print/", LOGIN, 200, 404),
    ("ui:postmortem_note", "post", "/incident/{i}/postmortem/note/", LOGIN, 400, 404),
    ("ui:timeline_hide", "post", "/timeline/{t}/hide/", LOGIN, 302, 404),
    ("ui:timeline_edit", "post", "/timeline/{t}/edit/", LOGIN, 400, 404),
    ("ui:timeline_edit", "get", "/timeline/{t}/edit/", LOGIN, 200, 404),
    ("ui:insights", "get", "/insights/", LOGIN, 200, None),
    ("ui:insights_csv", "get", "/insights.csv", LOGIN, 200, None),
    ("ui:insights_incidents", "get", "/insights/incidents/", LOGIN, 200, None),
    ("ui:login", "get", "/login/", 200, 302, None),
    ("ui:logout", "post", "/logout/", 302, 302, None),
    ("ui:logout", "get", "/logout/", 405, 405, None),
    ("ui:favicon", "get", "/favicon.ico", 301, 301, None),
    ("api:api-root", "get", "/core/", API_REFUSED, 200, None),
    ("api:schema", "get", "/core/schema/", API_REFUSED, 200, None),
    ("api:docs", "get", "/core/docs/", API_REFUSED, 200, None),
    ("api:insights", "get", "/core/insights/", API_REFUSED, 200, None),
    ("api:incident-list", "get", "/core/incidents/", API_REFUSED, 200, None),
    ("api:incident-list", "get", "/core/incidents.json", API_REFUSED, 200, None),
    ("api:incident-list", "post", "/core/incidents/", API_REFUSED, 405, None),
    ("api:incident-detail", "get", "/core/incidents/{i}/", API_REFUSED, 200, 404),
    ("api:incident-detail", "patch", "/core/incidents/{i}/", API_REFUSED, 200, 404),
    ("api:incident-detail", "put", "/core/incidents/{i}/", API_REFUSED, 405, 405),
    ("api:incident-detail", "delete", "/core/incidents/{i}/", API_REFUSED, 405, 405),
    ("api:incident-close", "post", "/core/incidents/{i}/close/", API_REFUSED, 200, 404),
    ("api:incident-status", "post", "/core/incidents/{i}/status/", API_REFUSED, 400, 404),
    ("api:incident-role", "put", "/core/incidents/{i}/roles/lead/", API_REFUSED, 400, 404),
    (
        "api:incident-milestone",
        "put",
        "/core/incidents/{i}/milestones/detected/",
        API_REFUSED,
        400,
        404,
    ),
    ("api:action-list", "get", "/core/actions/", API_REFUSED, 200, None),
    ("api:action-list", "post", "/core/actions/", API_REFUSED, 400, None),
    ("api:action-detail", "get", "/core/actions/{a}/", API_REFUSED, 200, 404),
    ("api:action-detail", "patch", "/core/actions/{a}/", API_REFUSED, 200, 404),
    ("api:timeline-event-list", "get", "/core/timeline/", API_REFUSED, 200, None),
    ("api:timeline-event-list", "post", "/core/timeline/", API_REFUSED, 400, None),
    ("api:timeline-event-detail", "get", "/core/timeline/{t}/", API_REFUSED, 200, 404),
    ("api:timeline-event-detail", "patch", "/core/timeline/{t}/", API_REFUSED, 200, 404),
    ("api:user-list", "get", "/core/users/", API_REFUSED, 200, None),
    ("api:user-detail", "get", "/core/users/U0ALICE/", API_REFUSED, 200, None),
    ("api:role-list", "get", "/core/roles/", API_REFUSED, 200, None),
    ("api:role-detail", "get", "/core/roles/lead/", API_REFUSED, 200, None),
    ("api:audit-entry-list", "get", "/core/audit/", API_REFUSED, 200, None),
    ("api:audit-entry-list", "post", "/core/audit/", API_REFUSED, 405, None),
    ("api:audit-entry-detail", "get", "/core/audit/{e}/", API_REFUSED, 200, 404),
    ("api:audit-entry-detail", "delete", "/core/audit/{e}/", API_REFUSED, 405, 405),
    ("healthz", "get", "/healthz", 200, 200, None),
    ("metrics", "get", "/metrics", 404, 404, None),
    ("slack:slash_command", "post", "/slack/slash_command", 403, 403, None),
    ("slack:event", "post", "/slack/event", 403, 403, None),
    ("slack:action", "post", "/slack/action", 403, 403, None),
    ("slack:cron_minute", "get", "/slack/cron_minute", 403, 403, None),
    ("slack:manifest", "get", "/slack/manifest", 200, 200, None),
    ("admin:*", "get", "/admin/", LOGIN, LOGIN, None),
    ("admin:*", "get", "/admin/core/incident/", LOGIN, LOGIN, None),
    ("admin:*", "get", "/admin/core/incident/{i}/change/", LOGIN, LOGIN, LOGIN),
    ("oidc_authentication_init", "get", "/oidc/authenticate/", 302, 302, None),
    ("oidc_authentication_callback", "get", "/oidc/callback/", 302, 302, None),
    ("oidc_logout", "post", "/oidc/logout/", 302, 302, None),
]
SECRET = "zebra-secret"  # in everything the private incident holds, nowhere else


@pytest.fixture
def walk_ids():
    """A public incident and a private one (its declarer linked to the login ``member``), each
    with a follow-up and a note; only the private one's words contain ``SECRET``."""
    alice = builders.slack_user("U0ALICE", "alice")
    public = builders.incident("Payments are failing", reporter=alice, summary="plain words")
    private = services.incident_declare(
        title=f"{SECRET} title", summary=f"{SECRET} summary", reporter=alice, private=True
    )
    ids = {}
    for key, incident, words in (("public", public, "plain"), ("private", private, SECRET)):
        action = Action.objects.create(incident=incident, details=f"{words} action")
        entry = incident.timeline_events.create(kind=TimelineEventKind.NOTE, text=f"{words} note")
        audit = AuditEntry.objects.filter(incident_id=incident.pk).earliest("at")
        ids[key] = {"i": incident.pk, "a": action.pk, "t": entry.pk, "e": audit.pk}
    alice.owner = builders.login_user("member")
    alice.save(update_fields=["owner"])
    return ids


def _ask(client: Client, method: str, path: str):
    if path.startswith("/core/") and method != "get":
        return getattr(client, method)(path, data={"title": "x"}, content_type="application/json")
    return getattr(client, method)(path)


def _as(username: str | None) -> Client:
    client = Client(raise_request_exception=False)
    if username is not None:
        person = get_user_model().objects.filter(username=username).first()
        client.force_login(person or builders.login_user(username))
    return client


@pytest.mark.parametrize(
    ("name", "method", "path", "anonymous", "plain", "outsider"),
    WALK,
    ids=[f"{method} {path}" for _, method, path, *_ in WALK],
)
def test_the_walk(walk_ids, name, method, path, anonymous, plain, outsider):
    private, public = walk_ids["private"], walk_ids["public"]

    as_anonymous = _ask(_as(None), method, path.format(**private))
    as_plain = _ask(_as("plain"), method, path.format(**public))
    as_outsider = _ask(_as("outsider"), method, path.format(**private))
    as_member = _ask(_as("member"), method, path.format(**private))

    assert as_anonymous.status_code == anonymous
    assert as_plain.status_code == plain
    assert as_outsider.status_code == (plain if outsider is None else outsider)
    if outsider is not None and name != "admin:*":
        assert as_member.status_code == plain  # the 404 above is the outsider's alone
    for response in (as_anonymous, as_outsider):
        assert SECRET.encode() not in response.content


def test_a_member_reads_what_an_outsider_is_not_shown(walk_ids):
    member, outsider = _as("member"), _as("outsider")
    for path in ("/", "/core/incidents/", "/core/actions/", "/core/timeline/"):
        assert SECRET.encode() in member.get(path).content
        assert SECRET.encode() not in outsider.get(path).content


def _url_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            names |= _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or pattern.lookup_str
            names.add(f"{namespace}:{name}" if namespace else name)
    return names


def _with_rules(names: set[str]) -> set[str]:
    """The names as ``ROUTES`` lists them: the admin's own routes are one row."""
    return {"admin:*" if name.startswith("admin:") else name for name in names}


def test_every_url_pattern_has_a_rule_and_is_walked():
    routes = _with_rules(_url_names(get_resolver().url_patterns))
    assert routes - ROUTES.keys() == set(), "give the new route a row in ROUTES and in WALK"
    assert ROUTES.keys() - routes == set(), "a rule for a route that no longer exists"
    assert {name for name, *_ in WALK} == ROUTES.keys()


def test_every_route_is_covered_above():
    routes = _url_names(get_resolver().url_patterns)
    covered = {name for name, _, _ in PAGES + API} | PUBLIC | {"ui:logout"}
    assert {r for r in routes if r.startswith(("ui:", "api:"))} - covered == set()


def test_the_readme_has_the_table():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    review = readme.split("## Security review", 1)[1].split("\n## ", 1)[0]
    for name, (who, others) in ROUTES.items():
        row = re.search(rf"^\| `{re.escape(name)}` \|(.*)$", review, re.MULTILINE)
        assert row is not None, f"README's security review has no row for {name}"
        assert who in row.group(1) and others in row.group(1)
