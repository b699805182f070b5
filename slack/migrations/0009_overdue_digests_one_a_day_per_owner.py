# The overdue DMs' ledger (SPEC §16): one row per follow-up owner and day, so each owner gets
# at most one DM a day however many cron ticks race.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_follow_up_status"),
        ("slack", "0008_reminder_keys_follow_their_module"),
    ]

    operations = [
        migrations.CreateModel(
            name="OverdueDigest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("action_ids", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="overdue_digests",
                        to="core.externaluser",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("owner", "day"), name="overdue_digest_one_a_day"
                    )
                ],
            },
        ),
    ]
