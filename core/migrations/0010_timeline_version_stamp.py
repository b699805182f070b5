import django.db.models.deletion
from django.db import migrations, models

# One function for the entries' three triggers: the incidents whose entries a statement inserted, updated
# (before or after: an entry may move to another incident) or deleted get their version bumped,
# once per statement, in the same transaction as the change.
BUMP_FUNCTION = """
CREATE FUNCTION core_timeline_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO core_timelinestamp (incident_id, version)
        SELECT incident_id, 1 FROM (
            SELECT incident_id FROM changed_rows UNION SELECT incident_id FROM old_rows
        ) AS touched
        ON CONFLICT (incident_id) DO UPDATE SET version = core_timelinestamp.version + 1;
    ELSE
        INSERT INTO core_timelinestamp (incident_id, version)
        SELECT DISTINCT incident_id, 1 FROM changed_rows
        ON CONFLICT (incident_id) DO UPDATE SET version = core_timelinestamp.version + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER core_timeline_inserted AFTER INSERT ON core_timelineevent
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_stamp_bump();
CREATE TRIGGER core_timeline_updated AFTER UPDATE ON core_timelineevent
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_stamp_bump();
CREATE TRIGGER core_timeline_deleted AFTER DELETE ON core_timelineevent
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_stamp_bump();

-- An entry's edit history is part of its timeline too (the postmortem page shows it).
CREATE FUNCTION core_timeline_edit_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_timelinestamp (incident_id, version)
    SELECT DISTINCT entry.incident_id, 1
    FROM changed_rows JOIN core_timelineevent AS entry ON entry.id = changed_rows.entry_id
    ON CONFLICT (incident_id) DO UPDATE SET version = core_timelinestamp.version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER core_timeline_edit_inserted AFTER INSERT ON core_timelineedit
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_edit_stamp_bump();
CREATE TRIGGER core_timeline_edit_updated AFTER UPDATE ON core_timelineedit
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_edit_stamp_bump();
CREATE TRIGGER core_timeline_edit_deleted AFTER DELETE ON core_timelineedit
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_timeline_edit_stamp_bump();
"""
DROP_FUNCTION = """
DROP TRIGGER core_timeline_inserted ON core_timelineevent;
DROP TRIGGER core_timeline_updated ON core_timelineevent;
DROP TRIGGER core_timeline_deleted ON core_timelineevent;
DROP FUNCTION core_timeline_stamp_bump();
DROP TRIGGER core_timeline_edit_inserted ON core_timelineedit;
DROP TRIGGER core_timeline_edit_updated ON core_timelineedit;
DROP TRIGGER core_timeline_edit_deleted ON core_timelineedit;
DROP FUNCTION core_timeline_edit_stamp_bump();
"""


class Migration(migrations.Migration):
    """A version of each incident's timeline, bumped by the database on every change to its
    entries, so a rendered timeline can be kept until it changes (SPEC §19)."""

    dependencies = [
        ("core", "0009_incident_title_trigram_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="TimelineStamp",
            fields=[
                (
                    "incident",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="timeline_stamp",
                        serialize=False,
                        to="core.incident",
                    ),
                ),
                ("version", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunSQL(BUMP_FUNCTION, DROP_FUNCTION),
    ]
