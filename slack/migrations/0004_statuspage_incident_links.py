import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_incident_domain"),
        ("slack", "0003_escalation_teams"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatuspageIncident",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("page_id", models.CharField(max_length=50)),
                ("statuspage_id", models.CharField(max_length=50)),
                ("name", models.CharField(max_length=255)),
                ("status", models.CharField(max_length=30)),
                ("impact", models.CharField(blank=True, max_length=30)),
                ("shortlink", models.URLField(blank=True)),
                ("last_submission", models.CharField(blank=True, max_length=100)),
                ("pending_notice", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "incident",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="statuspage_incident",
                        to="core.incident",
                    ),
                ),
            ],
            options={
                "verbose_name": "Statuspage incident",
            },
        ),
    ]
