"""The migrations of the reshaped Slack app, run over data written by the schema before it.

Part-1 databases hold participation counts in ``slack_userstats`` and reminder ledger rows keyed
by the reminders' old module path. Migrating must keep both, and migrating back must restore them.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0001_incident_domain"), ("slack", "0006_event_handled_marker")]
OLD_KEY = "slack.handlers.reminders.remind_no_lead"
NEW_KEY = "slack.flows.reminders.handlers.remind_no_lead"
PLUGIN_KEY = "examples.team_plugin.suggest_status_page"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def part_one_data(transactional_db):
    old = migrate(BEFORE)
    try:
        people = old.get_model("core", "ExternalUser")
        incidents = old.get_model("core", "Incident")
        alice = people.objects.create(external_id="U0ALICE", display_name="alice")
        bob = people.objects.create(external_id="U0BOB", display_name="bob")
        fire = incidents.objects.create(title="Payments are failing")
        old.get_model("slack", "CommsChannel").objects.create(
            incident=fire, channel_id="C0FIRE", name="inc-1-payments"
        )
        stats = old.get_model("slack", "UserStats")
        stats.objects.create(incident=fire, user=alice, message_count=7)
        stats.objects.create(incident=fire, user=bob, message_count=2)
        ledger = old.get_model("slack", "Notification")
        ledger.objects.create(incident=fire, key=OLD_KEY, times_sent=3)
        ledger.objects.create(incident=fire, key=PLUGIN_KEY, times_sent=1)
        yield fire.pk
    finally:
        migrate(latest())


def _counts(apps, app_label, model):
    rows = apps.get_model(app_label, model).objects.select_related("user")
    return sorted((row.user.external_id, row.message_count) for row in rows)


def _ledger(apps):
    rows = apps.get_model("slack", "Notification").objects.all()
    return sorted((row.key, row.times_sent) for row in rows)


def test_participation_and_reminder_ledgers_survive_the_move(part_one_data):
    new = migrate(latest())

    assert _counts(new, "core", "Participation") == [("U0ALICE", 7), ("U0BOB", 2)]
    assert _ledger(new) == [(PLUGIN_KEY, 1), (NEW_KEY, 3)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('slack_userstats')")
        assert cursor.fetchone() == (None,)


def test_migrating_back_restores_part_one(part_one_data):
    migrate(latest())
    old = migrate(BEFORE)

    assert _counts(old, "slack", "UserStats") == [("U0ALICE", 7), ("U0BOB", 2)]
    assert _ledger(old) == [(PLUGIN_KEY, 1), (OLD_KEY, 3)]


# --- The lifecycle of SPEC §14 over Part-1 incidents ---------------------------------------------

PART_ONE = [
    ("core", "0002_participation_in_the_domain"),
    ("slack", "0008_reminder_keys_follow_their_module"),
]


@pytest.fixture
def part_one_incidents(transactional_db):
    """A live incident whose lead alice handed to bob, a closed one and a report of the past."""
    import datetime as dt

    from django.utils import timezone

    old = migrate(PART_ONE)
    try:
        people = old.get_model("core", "ExternalUser")
        incidents = old.get_model("core", "Incident")
        timeline = old.get_model("core", "TimelineEvent")
        alice = people.objects.create(external_id="U0ALICE", display_name="alice")
        bob = people.objects.create(external_id="U0BOB", display_name="bob")
        declared = timezone.now() - dt.timedelta(hours=5)
        live = incidents.objects.create(
            title="Payments", reporter=alice, lead=bob, report_time=declared, start_time=declared
        )
        for minutes, new in ((10, alice), (40, bob)):
            timeline.objects.create(
                incident=live,
                time=declared + dt.timedelta(minutes=minutes),
                kind="incident_change",
                text=f"Lead changed to @{new.display_name}",
                author=alice,
                metadata={"field": "lead", "old": None, "new": {"id": new.external_id}},
            )
        closed = incidents.objects.create(
            title="Login",
            report_time=declared,
            start_time=declared - dt.timedelta(hours=1),
            end_time=declared + dt.timedelta(hours=2),
        )
        reported = incidents.objects.create(
            title="Last week",
            report_only=True,
            report_time=declared,
            start_time=declared,
            end_time=declared,
        )
        yield {"live": live.pk, "closed": closed.pk, "reported": reported.pk, "at": declared}
    finally:
        migrate(latest())


def _milestones(apps, pk):
    rows = apps.get_model("core", "Milestone").objects.filter(incident_id=pk)
    return {row.kind: row.time for row in rows}


def test_part_one_incidents_get_statuses_milestones_and_the_lead_role(part_one_incidents):
    import datetime as dt

    new = migrate(latest())
    incidents = new.get_model("core", "Incident")
    at = part_one_incidents["at"]

    statuses = {
        name: incidents.objects.get(pk=pk).status
        for name, pk in part_one_incidents.items()
        if name != "at"
    }
    assert statuses == {"live": "investigating", "closed": "resolved", "reported": "reported"}
    assert _milestones(new, part_one_incidents["live"]) == {
        "started": at,
        "declared": at,
        "acknowledged": at + dt.timedelta(minutes=10),  # alice's first lead change
    }
    assert _milestones(new, part_one_incidents["closed"]) == {
        "started": at - dt.timedelta(hours=1),
        "declared": at,
        "resolved": at + dt.timedelta(hours=2),
    }
    assert set(_milestones(new, part_one_incidents["reported"])) == {
        "started",
        "declared",
        "resolved",
    }
    held = new.get_model("core", "RoleAssignment").objects.select_related("role", "holder").get()
    assert (held.incident_id, held.role.name, held.holder.external_id) == (
        part_one_incidents["live"],
        "lead",
        "U0BOB",
    )
    # Assigned when, and by whom, the timeline says bob became the lead.
    assert held.assigned_at == at + dt.timedelta(minutes=40)
    assert held.assigned_by.external_id == "U0ALICE"
    roles = new.get_model("core", "Role").objects.order_by("order")
    assert [role.name for role in roles] == ["lead", "comms", "scribe"]


def test_migrating_the_lifecycle_back_restores_the_lead_field(part_one_incidents):
    migrate(latest())
    old = migrate(PART_ONE)

    live = (
        old.get_model("core", "Incident")
        .objects.select_related("lead")
        .get(pk=part_one_incidents["live"])
    )
    assert live.lead.external_id == "U0BOB"


# --- Follow-ups: the done flag becomes a status (core 0007) -----------------------------------

BEFORE_STATUS = [("core", "0006_postmortem_and_timeline_curation")]


@pytest.fixture
def flagged_actions(transactional_db):
    old = migrate(BEFORE_STATUS)
    try:
        fire = old.get_model("core", "Incident").objects.create(title="Payments are failing")
        actions = old.get_model("core", "Action")
        done = actions.objects.create(incident=fire, details="Rotate the key", done=True)
        open_ = actions.objects.create(incident=fire, details="Add an alert", done=False)
        yield {"done": done.pk, "open": open_.pk}
    finally:
        migrate(latest())


def test_done_follow_ups_become_done_and_the_others_open(flagged_actions):
    new = migrate(latest())
    actions = new.get_model("core", "Action")
    assert actions.objects.get(pk=flagged_actions["done"]).status == "done"
    assert actions.objects.get(pk=flagged_actions["open"]).status == "open"


def test_migrating_the_status_back_restores_the_done_flag(flagged_actions):
    new = migrate(latest())
    new.get_model("core", "Action").objects.filter(pk=flagged_actions["open"]).update(
        status="wont_do"
    )
    old = migrate(BEFORE_STATUS)
    actions = old.get_model("core", "Action")
    assert actions.objects.get(pk=flagged_actions["done"]).done is True
    assert actions.objects.get(pk=flagged_actions["open"]).done is False


# --- Updates, followers and the cadence (core 0008, slack 0009) --------------------------------

BEFORE_UPDATES = [
    ("core", "0007_follow_up_status"),
    ("slack", "0008_reminder_keys_follow_their_module"),
]


@pytest.fixture
def incident_before_updates(transactional_db):
    old = migrate(BEFORE_UPDATES)
    try:
        fire = old.get_model("core", "Incident").objects.create(title="Payments are failing")
        old.get_model("core", "TimelineEvent").objects.create(
            incident=fire, kind="note", text="Rolled back"
        )
        yield fire.pk
    finally:
        migrate(latest())


def test_earlier_incidents_take_updates_followers_and_cadence_reminders(incident_before_updates):
    new = migrate(latest())
    fire = new.get_model("core", "Incident").objects.get(pk=incident_before_updates)
    user = new.get_model("core", "ExternalUser").objects.create(external_id="U0FRED")

    new.get_model("core", "Update").objects.create(incident=fire, status="investigating")
    new.get_model("core", "Follower").objects.create(incident=fire, user=user)
    new.get_model("slack", "UpdateReminder").objects.create(
        incident=fire, due_at=fire.report_time, stage=1
    )
    assert [e.text for e in fire.timeline_events.all()] == ["Rolled back"]
    assert not new.get_model("core", "UpdateCadence").objects.exists()  # the defaults hold


def test_migrating_updates_back_keeps_the_incident_and_its_timeline(incident_before_updates):
    new = migrate(latest())
    fire = new.get_model("core", "Incident").objects.get(pk=incident_before_updates)
    new.get_model("core", "Update").objects.create(incident=fire, status="investigating")

    old = migrate(BEFORE_UPDATES)
    entries = old.get_model("core", "TimelineEvent").objects.filter(incident_id=fire.pk)
    assert [e.text for e in entries] == ["Rolled back"]


# --- Private incidents (core 0010) --------------------------------------------------------------

BEFORE_PRIVATE = [("core", "0009_incident_title_trigram_index")]


@pytest.fixture
def incident_before_private(transactional_db):
    old = migrate(BEFORE_PRIVATE)
    try:
        yield old.get_model("core", "Incident").objects.create(title="Payments are failing").pk
    finally:
        migrate(latest())


def test_earlier_incidents_stay_visible_to_everyone(incident_before_private):
    new = migrate(latest())

    fire = new.get_model("core", "Incident").objects.get(pk=incident_before_private)
    assert fire.private is False
    assert not new.get_model("core", "IncidentAccess").objects.exists()


# --- Incident tallies (core 0015) ---------------------------------------------------------------

BEFORE_TALLIES = [("core", "0014_incident_indexes_for_what_a_person_may_see")]


@pytest.fixture
def incidents_before_tallies(transactional_db):
    old = migrate(BEFORE_TALLIES)
    try:
        incidents = old.get_model("core", "Incident")
        for n, (status, severity) in enumerate(
            [("investigating", 1), ("investigating", 1), ("resolved", None), ("triage", 3)]
        ):
            incidents.objects.create(title=f"Incident {n}", status=status, severity=severity)
        incidents.objects.create(title="Hidden", status="fixing", severity=2, private=True)
        yield
    finally:
        migrate(latest())


def test_earlier_incidents_are_tallied_when_the_tallies_arrive(incidents_before_tallies):
    new = migrate(latest())

    tallies = new.get_model("core", "IncidentTally").objects.all()
    counted = sorted((t.status, t.severity, t.private, t.delta) for t in tallies)
    assert counted == [
        ("fixing", 2, True, 1),
        ("investigating", 1, False, 2),
        ("resolved", None, False, 1),
        ("triage", 3, False, 1),
    ]
    new.get_model("core", "Incident").objects.filter(status="triage").update(status="fixing")
    assert sorted((t.status, t.delta) for t in tallies.filter(status__in=["triage", "fixing"])) == [
        ("fixing", 1),
        ("fixing", 1),
        ("triage", -1),
        ("triage", 1),
    ]


def test_migrating_the_tallies_back_leaves_the_incidents_as_they_were(incidents_before_tallies):
    migrate(latest())
    old = migrate(BEFORE_TALLIES)

    incidents = old.get_model("core", "Incident").objects
    incidents.create(title="After going back", status="investigating")
    assert incidents.count() == 6
