import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0004_statuspage_incident_links"),
    ]

    operations = [
        migrations.CreateModel(
            name="FailedAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("job_id", models.BigIntegerField(db_index=True)),
                ("task_name", models.CharField(max_length=128)),
                ("attempt", models.PositiveIntegerField(help_text="1 for the first attempt.")),
                ("slack_method", models.CharField(blank=True, max_length=64)),
                ("error_code", models.CharField(max_length=128)),
                ("message", models.TextField(blank=True)),
                (
                    "failed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-failed_at"],
            },
        ),
    ]
