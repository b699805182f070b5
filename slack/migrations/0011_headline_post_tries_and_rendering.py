"""When a headline was first tried, and which rendering Slack shows: fewer calls in a storm."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0010_update_cadence_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="headlinepost",
            name="shown_digest",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="headlinepost",
            name="tried_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
