import django.db.models.deletion
from django.db import migrations, models

# One function for the entries' three triggers: the incidents whose entries a statement inserted, updated
# (before or after: an entry may move to another incident) or deleted get a change row, once
# per statement, in the same transaction as the change.
CHANGE_TRIGGERS = """
CREATE FUNCTION core_timeline_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO core_timelinechange (incident_id)
        SELECT incident_id FROM changed_rows UNION SELECT incident_id FROM old_rows;
    ELSE
        INSERT INTO core_timelinechange (incident_id) SELECT DISTINCT incident_id FROM changed_rows;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER core_timeline_inserted AFTER INSERT ON core_timelineevent
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_changed();
CREATE TRIGGER core_timeline_updated AFTER UPDATE ON core_timelineevent
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_changed();
CREATE TRIGGER core_timeline_deleted AFTER DELETE ON core_timelineevent
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_changed();

-- An entry's edit history is part of its timeline too (the postmortem page shows it).
CREATE FUNCTION core_timeline_edit_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_timelinechange (incident_id)
    SELECT DISTINCT entry.incident_id
    FROM changed_rows JOIN core_timelineevent AS entry ON entry.id = changed_rows.entry_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER core_timeline_edit_inserted AFTER INSERT ON core_timelineedit
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_edit_changed();
CREATE TRIGGER core_timeline_edit_updated AFTER UPDATE ON core_timelineedit
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_edit_changed();
CREATE TRIGGER core_timeline_edit_deleted AFTER DELETE ON core_timelineedit
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_edit_changed();
"""
DROP_TRIGGERS = """
DROP TRIGGER core_timeline_inserted ON core_timelineevent;
DROP TRIGGER core_timeline_updated ON core_timelineevent;
DROP TRIGGER core_timeline_deleted ON core_timelineevent;
DROP FUNCTION core_timeline_changed();
DROP TRIGGER core_timeline_edit_inserted ON core_timelineedit;
DROP TRIGGER core_timeline_edit_updated ON core_timelineedit;
DROP TRIGGER core_timeline_edit_deleted ON core_timelineedit;
DROP FUNCTION core_timeline_edit_changed();
"""


class Migration(migrations.Migration):
    """A row per change to an incident's timeline, added by the database on every change to its
    entries or their history: their count is the timeline's version, so a rendered timeline can be
    kept until it changes (SPEC §19)."""

    dependencies = [
        ("core", "0011_private_incidents_and_who_may_see_them"),
    ]

    operations = [
        migrations.CreateModel(
            name="TimelineChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="timeline_changes",
                        to="core.incident",
                    ),
                ),
            ],
        ),
        migrations.RunSQL(CHANGE_TRIGGERS, DROP_TRIGGERS),
    ]
