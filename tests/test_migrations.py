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
