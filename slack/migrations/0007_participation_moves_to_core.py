# Participation counts move to core.Participation (created by core's 0002): the rows are copied
# over, then the Slack app's table is dropped. Going back recreates the table and copies them back.

from django.db import migrations

COPY_TO_CORE = """
    INSERT INTO core_participation (incident_id, user_id, first_message_at, message_count)
    SELECT incident_id, user_id, first_message_at, message_count FROM slack_userstats
"""
COPY_BACK = """
    INSERT INTO slack_userstats (incident_id, user_id, first_message_at, message_count)
    SELECT incident_id, user_id, first_message_at, message_count FROM core_participation
"""


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0006_event_handled_marker"),
        ("core", "0002_participation_in_the_domain"),
    ]

    operations = [
        migrations.RunSQL(COPY_TO_CORE, reverse_sql=COPY_BACK),
        migrations.DeleteModel(name="UserStats"),
    ]
