"""Changes made on the pages and in the admin are recorded as theirs, under the signed-in person,
and the incident page shows its latest history: who, through what, from → to, when."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import services
from core.access import Acting, acting_as
from core.models import ActionStatus, AuditEntry
from tests.ui import builders
from ui.history import HISTORY_ROWS

pytestmark = pytest.mark.django_db


@pytest.fixture
def fire(alice):
    return builders.incident("Payments are failing", reporter=alice)


def test_ticking_a_follow_up_on_the_page_is_recorded_as_the_browsers(logged_in, fire):
    action = services.action_create(incident=fire, details="Add a retry")

    response = logged_in.post(reverse("ui:action_done", args=[action.pk]), {"done": "on"})

    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="core.Action", action="changed")
    assert (entry.via, entry.person_name, entry.incident_id) == ("browser", "responder", fire.pk)
    assert entry.before["status"] == ActionStatus.OPEN
    assert entry.after["status"] == ActionStatus.DONE


def test_an_incident_edited_in_the_admin_is_recorded_as_the_admins(admin_client, fire):
    url = reverse("admin:core_incident_change", args=[fire.pk])
    form = admin_client.get(url).context["adminform"].form
    fields = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    fields["title"] = "Card payments are failing"
    for prefix in ("role_assignments", "milestones", "actions"):
        fields.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    for key in ("report_time", "start_time"):
        value = getattr(fire, key)
        fields[f"{key}_0"], fields[f"{key}_1"] = f"{value:%Y-%m-%d}", f"{value:%H:%M:%S}"
        fields.pop(key, None)

    assert admin_client.post(url, fields).status_code == 302

    # The form's times have no microseconds: the start time changes too, in an entry of its own.
    entry = AuditEntry.objects.get(
        object_type="core.Incident", action="changed", after__has_key="title"
    )
    assert (entry.via, entry.person_name) == ("admin", "admin")
    assert (entry.before, entry.after) == (
        {"title": "Payments are failing"},
        {"title": "Card payments are failing"},
    )


def test_granting_a_permission_to_a_group_in_the_admin_is_recorded(admin_client):
    group = Group.objects.create(name="responders")
    resolve = Permission.objects.get(codename="change_incident")
    url = reverse("admin:auth_group_change", args=[group.pk])

    response = admin_client.post(url, {"name": "responders", "permissions": [resolve.pk]})

    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="auth.Group", action="changed")
    assert (entry.via, entry.person_name, entry.incident_id) == ("admin", "admin", None)
    assert entry.after == {"permissions": [str(resolve)]}


def test_the_admin_shows_the_log_but_cannot_change_it(admin_client, fire):
    entry = AuditEntry.objects.get(incident_id=fire.pk)
    changelist = reverse("admin:core_auditentry_changelist")

    assert admin_client.get(changelist).status_code == 200
    for query in ({"via__exact": "system"}, {"incident": fire.pk}, {"q": "admin"}):
        assert admin_client.get(changelist, query).status_code == 200
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    delete = reverse("admin:core_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def history_texts(response) -> list[str]:
    """Each history entry of the page as text."""
    html = response.content.decode()
    section = html[
        html.index('data-testid="history"') : html.index(
            "</ol>", html.index('data-testid="history"')
        )
    ]
    items = section.split('<li class="history-entry"')[1:]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<" + item)).strip() for item in items]


def test_the_page_shows_who_changed_what_from_and_to_in_the_viewers_zone(logged_in, fire, alice):
    bob = builders.slack_user("U0BOB", "bob")
    with acting_as(Acting.for_slack_user(alice)):
        services.incident_update(incident=fire, severity=2, actor=alice)
        services.role_assign(incident=fire, role="comms", holder=alice, actor=alice)
        services.role_assign(incident=fire, role="comms", holder=bob, actor=alice)
    logged_in.cookies["tz"] = "Asia/Tokyo"

    response = logged_in.get(f"/incident/{fire.pk}/")

    handed, given, changed, declared = history_texts(response)
    assert "alice via Slack changed incident" in changed
    assert "severity — → major" in changed  # a choice by its label
    assert "JST" in changed  # the viewer's zone, as every time on the page
    assert "alice via Slack created role assignment" in given
    assert "holder alice → bob" in handed  # Slack users by name
    assert "Response via system created incident" in declared


def test_the_page_shows_the_latest_entries_in_a_constant_number_of_queries(logged_in, fire):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert logged_in.get(f"/incident/{fire.pk}/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(HISTORY_ROWS + 5):
        services.incident_update(incident=fire, summary=f"summary {n}")

    assert queries() == few
    texts = history_texts(logged_in.get(f"/incident/{fire.pk}/"))
    assert len(texts) == HISTORY_ROWS
    assert f"summary {HISTORY_ROWS + 3} → summary {HISTORY_ROWS + 4}" in texts[0]
