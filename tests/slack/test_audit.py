"""Changes made from Slack (signed requests) are recorded under the Slack user, through Slack, at
the cost of one INSERT a change (and no other query) on the acknowledgement path, and not at all
when refused.

Nothing here says who acts: the Slack entry points do, from the signed payload's user."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import services
from core.models import AuditEntry, Incident, Severity
from tests.helpers import post_event, post_interaction
from tests.slack.channel_helpers import event_from, incident_with_channel
from tests.slack.test_declare import edit_submission, option, submission, text_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return services.external_user_upsert(external_id="U0ALICE", display_name="alice")


def audit_inserts(captured: CaptureQueriesContext) -> int:
    return sum(
        query["sql"].startswith('INSERT INTO "core_auditentry"')
        for query in captured.captured_queries
    )


def audit_queries(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"] for query in captured.captured_queries if "core_auditentry" in query["sql"]
    ]


def test_declaring_from_the_modal_is_recorded_under_the_slack_user(client, fake_slack, alice):
    with CaptureQueriesContext(connection) as captured:
        response = post_interaction(client, submission())

    assert response.content == b""
    incident = Incident.objects.get()
    # The incident, and its lead named in the modal.
    declared, lead = AuditEntry.objects.filter(incident_id=incident.pk).order_by("id")
    assert (declared.via, declared.slack_user_id, declared.slack_user_name) == (
        "slack",
        "U0ALICE",
        "alice",
    )
    assert (declared.action, declared.after["title"]) == ("created", "Payments are failing")
    assert (lead.object_type, lead.action, lead.via) == ("core.RoleAssignment", "created", "slack")
    assert audit_inserts(captured) == len(audit_queries(captured)) == 2


def test_an_edit_from_slack_records_before_and_after_in_one_insert(client, fake_slack, alice):
    incident = services.incident_declare(
        title="Payments are failing",
        reporter=alice,
        summary="Card payments return 502.",
        lead=services.external_user_get_or_create(external_id="U0LEAD"),
    )
    payload = edit_submission(
        incident,
        title=text_input("Payments are failing"),
        summary=text_input("Card payments return 502."),
        severity={"type": "static_select", **option("1")},
    )

    with CaptureQueriesContext(connection) as captured:
        post_interaction(client, payload)

    [entry] = AuditEntry.objects.filter(incident_id=incident.pk, action="changed")
    assert (entry.via, entry.slack_user_id) == ("slack", "U0ALICE")
    assert (entry.before, entry.after) == ({"severity": None}, {"severity": Severity.CRITICAL})
    assert audit_inserts(captured) == len(audit_queries(captured)) == 1


def test_a_submission_refused_in_the_modal_records_nothing(client, fake_slack, alice):
    answer = post_interaction(client, submission(title=text_input(""))).json()

    assert answer["response_action"] == "errors"
    assert AuditEntry.objects.exclude(object_type="core.ExternalUser").count() == 0


def test_a_change_made_by_a_job_names_the_job(client, transactional_db, jobs):
    """Events are handled in the worker: the pinned message's entry carries the job's id, as the
    job's log lines do, so the log can be read beside them."""
    incident = incident_with_channel()
    assert post_event(client, event_from("event_pin_added")).status_code == 200
    assert post_event(client, event_from("event_message_changed")).status_code == 200
    jobs()

    pinned, edited = AuditEntry.objects.filter(
        incident_id=incident.pk, object_type="core.TimelineEvent"
    ).order_by("id")
    assert (pinned.action, edited.action) == ("created", "changed")
    assert edited.after == {"text": "Rolled back the payments deploy (v2.3.1)"}
    assert pinned.job_id and edited.job_id and pinned.job_id != edited.job_id
