# A reminder's ledger key is its function's dotted path. The built-in reminders moved from
# slack.handlers.reminders to slack.flows.reminders.handlers; their ledger rows follow, so that
# an open incident's reminders carry on counting instead of starting again.

from django.db import migrations

OLD = "slack.handlers.reminders."
NEW = "slack.flows.reminders.handlers."
RENAME = "UPDATE slack_notification SET key = %s || substr(key, %s) WHERE key LIKE %s"


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0007_participation_moves_to_core"),
    ]

    operations = [
        migrations.RunSQL(
            [(RENAME, [NEW, len(OLD) + 1, OLD + "%"])],
            reverse_sql=[(RENAME, [OLD, len(NEW) + 1, NEW + "%"])],
        ),
    ]
