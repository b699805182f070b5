"""The audit log records every change with who made it, through what, and what it changed
(SPEC §18), in the transaction of the change itself."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection, transaction
from django.utils import timezone

from core import services
from core.access import Acting, Via, acting_as
from core.audit import recorder
from core.models import AuditEntry, AuditVia, Incident, Severity, UpdateCadence
from response.log_context import log_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return services.external_user_upsert(
        external_id="U0ALICE", display_name="alice", email="alice@example.com"
    )


@pytest.fixture
def fire(alice):
    with acting_as(Acting.for_slack_user(alice)):
        return services.incident_declare(title="Payments are failing", reporter=alice)


def entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def test_via_names_the_same_surfaces_as_core_access():
    assert sorted(AuditVia.values) == sorted(via.value for via in Via)


def test_a_change_from_slack_names_who_through_what_before_and_after(alice, fire):
    with acting_as(Acting.for_slack_user(alice)), log_context(request_id="req-42"):
        services.incident_update(incident=fire, actor=alice, severity=Severity.CRITICAL)

    [entry] = entries(object_type="core.Incident", action="changed")
    assert (entry.via, entry.slack_user_id, entry.slack_user_name) == ("slack", "U0ALICE", "alice")
    assert (entry.person_id, entry.person_name) == (None, "")
    assert (entry.incident_id, entry.object_id) == (fire.pk, str(fire.pk))
    assert (entry.before, entry.after) == ({"severity": None}, {"severity": Severity.CRITICAL})
    assert entry.request_id == "req-42"


def test_declaring_is_recorded_once_with_the_new_incidents_fields(alice, fire):
    [entry] = entries(incident_id=fire.pk)
    assert (entry.object_type, entry.action, entry.before) == ("core.Incident", "created", {})
    assert entry.after["title"] == "Payments are failing"
    assert entry.after["reporter"] == alice.pk


def test_a_person_is_named_by_their_login():
    boss = User.objects.create_user("boss", password="x")
    with acting_as(Acting.for_person(boss, Via.ADMIN)):
        UpdateCadence.objects.create(severity=Severity.MAJOR, interval_minutes=30)

    [entry] = entries(object_type="core.UpdateCadence")
    assert (entry.via, entry.person_id, entry.person_name) == ("admin", boss.pk, "boss")
    assert entry.incident_id is None
    assert entry.after == {"severity": Severity.MAJOR, "interval_minutes": 30}


def test_saving_without_a_change_records_nothing(fire):
    before = AuditEntry.objects.count()
    services.incident_update(incident=fire, title="Payments are failing")
    Incident.objects.get(pk=fire.pk).save()

    assert AuditEntry.objects.count() == before


def test_a_change_rolled_back_leaves_no_entry(fire):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.incident_update(incident=fire, summary="Card payments time out")
        raise RuntimeError("the request failed after the change")

    assert AuditEntry.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_the_entry_is_written_in_the_transaction_of_the_change(alice):
    """Inside the change's transaction the entry is already there, and no other connection sees
    it before the commit: it commits, or rolls back, with the change."""
    fire = services.incident_declare(title="Payments are failing", reporter=alice)
    seen_outside: list[int] = []

    def count_from_another_connection():
        try:
            seen_outside.append(AuditEntry.objects.filter(incident_id=fire.pk).count())
        finally:
            connection.close()

    with transaction.atomic():
        services.incident_update(incident=fire, summary="Card payments time out")
        assert AuditEntry.objects.filter(incident_id=fire.pk, action="changed").count() == 1
        reader = threading.Thread(target=count_from_another_connection)
        reader.start()
        reader.join()

    assert seen_outside == [1]  # the declaration only
    assert AuditEntry.objects.filter(incident_id=fire.pk).count() == 2


def _roles(fire, alice):
    services.role_assign(incident=fire, role="comms", holder=alice, actor=alice)


def _milestone(fire, alice):
    services.milestone_set(
        incident=fire, kind="started", time=fire.report_time - dt.timedelta(minutes=5)
    )


def _action(fire, alice):
    services.action_create(incident=fire, details="Add a retry", owner=alice)


def _note(fire, alice):
    services.timeline_note_add(incident=fire, text="Rolled back", author=alice)


def _pinned_message_edited(fire, alice):
    services.timeline_source_upsert(
        incident=fire,
        source_ref="pin:1",
        kind="pinned_message",
        text="old words",
        author=alice,
        time=timezone.now(),
        metadata={},
    )
    services.timeline_source_edit(incident=fire, source_ref="pin:1", text="new words")


def _update(fire, alice):
    services.update_share(incident=fire, author=alice, impact="Card payments fail")


def _follow(fire, alice):
    services.incident_follow(incident=fire, user=alice)


def _postmortem(fire, alice):
    services.postmortem_section_save(
        incident=fire, key="summary", text="What happened", base_revision=0, editor=None
    )


# Each change, and the audited record (and field) it must leave an entry for.
CHANGES = [
    (_roles, "core.RoleAssignment", "holder"),
    (_milestone, "core.Milestone", "time"),
    (_action, "core.Action", "details"),
    (_note, "core.TimelineEvent", "text"),
    (_pinned_message_edited, "core.TimelineEvent", "text"),
    (_update, "core.Update", "impact"),
    (_follow, "core.Follower", "user"),
    (_postmortem, "core.PostmortemSection", "text"),
]


@pytest.mark.parametrize(
    ("change", "object_type", "field"), CHANGES, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_every_change_to_an_incident_is_recorded_on_it(alice, fire, change, object_type, field):
    with acting_as(Acting.for_slack_user(alice)):
        change(fire, alice)

    recorded = entries(incident_id=fire.pk, object_type=object_type)
    assert recorded, f"no entry for {object_type}"
    assert field in recorded[-1].after
    assert {entry.slack_user_id for entry in recorded} == {"U0ALICE"}


def test_a_pinned_messages_edit_names_the_text_before_and_after(alice, fire):
    _pinned_message_edited(fire, alice)

    edit = entries(object_type="core.TimelineEvent", action="changed")[-1]
    assert (edit.before, edit.after) == ({"text": "old words"}, {"text": "new words"})


def test_removing_a_record_keeps_what_it_held(alice, fire):
    _follow(fire, alice)
    services.incident_unfollow(incident=fire, user=alice)

    [entry] = entries(object_type="core.Follower", action="deleted")
    assert entry.before["user"] == alice.pk and entry.after == {}
    assert entry.incident_id == fire.pk


def test_group_permissions_and_membership_are_recorded_as_sets():
    responders = Group.objects.create(name="responders")
    boss = User.objects.create_user("boss")
    resolve = Permission.objects.create(
        codename="resolve_test", name="Can resolve", content_type_id=1
    )

    responders.permissions.add(resolve)
    boss.groups.add(responders)

    [granted] = entries(object_type="auth.Group", action="changed")
    assert (granted.before, granted.after) == ({"permissions": []}, {"permissions": [str(resolve)]})
    [joined] = entries(object_type="auth.User", action="changed")
    assert (joined.before, joined.after) == ({"groups": []}, {"groups": ["responders"]})


def test_a_password_is_recorded_as_changed_but_never_shown():
    boss = User.objects.create_user("boss", password="first")
    boss.set_password("second")
    boss.save()

    [entry] = entries(object_type="auth.User", action="changed")
    assert entry.after == {"password": recorder.HIDDEN}
    assert "first" not in str(entries()) and "pbkdf2" not in str(entry.before)


def test_linking_a_slack_user_at_sign_in_is_recorded(alice):
    login = services.person_signing_in(email="alice@example.com")

    [entry] = entries(object_type="core.ExternalUser")
    assert (entry.before, entry.after) == ({"owner": None}, {"owner": login.pk})


def test_refreshing_a_slack_users_name_is_not_a_change(alice):
    services.external_user_upsert(external_id="U0ALICE", display_name="alice.b")

    assert entries(object_type="core.ExternalUser") == []


def test_deleting_an_incident_records_it_and_what_went_with_it(alice, fire):
    _postmortem(fire, alice)
    _action(fire, alice)
    pk = fire.pk

    with acting_as(Acting(via=Via.ADMIN)):
        Incident.objects.get(pk=pk).delete()

    deleted = {entry.object_type for entry in entries(incident_id=pk, action="deleted")}
    assert {"core.Incident", "core.Action", "core.PostmortemSection", "core.Postmortem"} <= deleted
    # The log outlives the incident: nothing of it was removed.
    assert entries(incident_id=pk, action="created")
