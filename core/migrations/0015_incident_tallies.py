from django.db import migrations, models

# One function for the three triggers: each statement that inserts, deletes or changes incidents
# adds, per status, severity and privacy, how many it added or took away; a change that moves
# nothing between them (a new title) adds nothing.
TALLY_TRIGGERS = """
CREATE FUNCTION core_incident_tallied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO core_incidenttally (status, severity, private, delta)
        SELECT status, severity, private, count(*) FROM new_rows GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO core_incidenttally (status, severity, private, delta)
        SELECT status, severity, private, -count(*) FROM old_rows GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO core_incidenttally (status, severity, private, delta)
        SELECT status, severity, private, sum(delta) FROM (
            SELECT status, severity, private, -1 AS delta FROM old_rows
            UNION ALL
            SELECT status, severity, private, 1 AS delta FROM new_rows
        ) AS moved
        GROUP BY 1, 2, 3 HAVING sum(delta) <> 0;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER core_incident_tally_inserted AFTER INSERT ON core_incident
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_incident_tallied();
CREATE TRIGGER core_incident_tally_updated AFTER UPDATE ON core_incident
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_incident_tallied();
CREATE TRIGGER core_incident_tally_deleted AFTER DELETE ON core_incident
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION core_incident_tallied();

-- The incidents there already are: creating the triggers locked the table against writers
-- until this migration commits, so none is counted twice or missed.
INSERT INTO core_incidenttally (status, severity, private, delta)
SELECT status, severity, private, count(*) FROM core_incident GROUP BY 1, 2, 3;
"""
DROP_TRIGGERS = """
DROP TRIGGER core_incident_tally_inserted ON core_incident;
DROP TRIGGER core_incident_tally_updated ON core_incident;
DROP TRIGGER core_incident_tally_deleted ON core_incident;
DROP FUNCTION core_incident_tallied();
"""


class Migration(migrations.Migration):
    """How many incidents there are of each status, severity and privacy, kept by the database in
    the transaction of every change: the lists count 100,000 incidents without reading them
    (SPEC §19)."""

    dependencies = [
        ("core", "0014_incident_indexes_for_what_a_person_may_see"),
    ]

    operations = [
        migrations.CreateModel(
            name="IncidentTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("status", models.CharField(max_length=16)),
                ("severity", models.PositiveSmallIntegerField(null=True)),
                ("private", models.BooleanField()),
                ("delta", models.IntegerField()),
            ],
            options={"verbose_name_plural": "incident tallies"},
        ),
        migrations.RunSQL(TALLY_TRIGGERS, DROP_TRIGGERS),
    ]
