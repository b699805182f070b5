"""The cadence reminder ledger of SPEC §15: one row per update reminder posted per due time."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_follow_up_status"),
        ("slack", "0009_overdue_digests_one_a_day_per_owner"),
    ]

    operations = [
        migrations.CreateModel(
            name="UpdateReminder",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "due_at",
                    models.DateTimeField(help_text="The update's due time this reminder is for."),
                ),
                (
                    "stage",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "reminder"), (2, "second reminder, lead mentioned too")]
                    ),
                ),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="update_reminders",
                        to="core.incident",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("incident", "due_at", "stage"),
                        name="update_reminder_once_per_due_time",
                    )
                ],
            },
        ),
    ]
