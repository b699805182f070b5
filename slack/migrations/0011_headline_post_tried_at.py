"""When a headline was first tried: a later try looks for it in Slack before posting again."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0010_update_cadence_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="headlinepost",
            name="tried_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
