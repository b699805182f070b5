import django.db.models.deletion
from django.db import migrations, models

import slack.workflows.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0001_slack_side_of_incidents"),
    ]

    operations = [
        migrations.CreateModel(
            name="EncryptionCanary",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", slack.workflows.crypto.StrictEncryptedTextField()),
            ],
        ),
        migrations.CreateModel(
            name="Workflow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=50, unique=True)),
                ("enabled", models.BooleanField(default=False)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="WorkflowParameter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=50)),
                ("value", slack.workflows.crypto.StrictEncryptedTextField(blank=True)),
                (
                    "workflow",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parameters",
                        to="slack.workflow",
                    ),
                ),
            ],
            options={
                "ordering": ["workflow", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("workflow", "name"), name="workflow_parameter_once"
                    )
                ],
            },
        ),
    ]
