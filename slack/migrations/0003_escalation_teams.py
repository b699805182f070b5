from django.db import migrations, models

import slack.workflows.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0002_workflows_and_encrypted_parameters"),
    ]

    operations = [
        migrations.CreateModel(
            name="EscalationTeam",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True)),
                ("summary", models.TextField(blank=True, help_text="What the team can help with.")),
                (
                    "routing_key",
                    slack.workflows.crypto.StrictEncryptedTextField(
                        help_text="The Events API v2 integration key of the team's PagerDuty service."
                    ),
                ),
            ],
            options={
                "ordering": ["name"],
            },
        ),
    ]
