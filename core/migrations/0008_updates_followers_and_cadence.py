"""Updates, followers and the per-severity update cadence (SPEC §15).

No cadence rows are created: the defaults (critical 30 min, major 60, minor 240, trivial none)
live in code, ``core.models.update.DEFAULT_CADENCE``, and a row overrides its severity. Each
shared update leaves a timeline entry of the new kind ``update``.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_follow_up_status"),
    ]

    operations = [
        migrations.AlterField(
            model_name="timelineevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("pinned_message", "Pinned message"),
                    ("incident_change", "Incident change"),
                    ("note", "Note"),
                    ("update", "Update"),
                ],
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="UpdateCadence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "severity",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "critical"), (2, "major"), (3, "minor"), (4, "trivial")],
                        unique=True,
                    ),
                ),
                (
                    "interval_minutes",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Minutes between updates, at least 1; empty for no cadence.",
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(
                                1,
                                message="An update interval is at least %(limit_value)s minute; leave it empty for no cadence.",
                            )
                        ],
                        verbose_name="update interval (minutes)",
                    ),
                ),
            ],
            options={
                "verbose_name": "update cadence",
                "verbose_name_plural": "update cadences",
                "ordering": ["severity"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("interval_minutes__isnull", True),
                            ("interval_minutes__gte", 1),
                            _connector="OR",
                        ),
                        name="update_interval_at_least_a_minute",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Follower",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="followers",
                        to="core.incident",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="followed_incidents",
                        to="core.externaluser",
                    ),
                ),
            ],
            options={
                "ordering": ["incident", "created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("incident", "user"), name="follow_an_incident_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Update",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("triage", "Triage"),
                            ("investigating", "Investigating"),
                            ("fixing", "Fixing"),
                            ("monitoring", "Monitoring"),
                            ("resolved", "Resolved"),
                            ("declined", "Declined"),
                            ("merged", "Merged"),
                            ("reported", "Reported"),
                        ],
                        help_text="The status when it was shared.",
                        max_length=16,
                    ),
                ),
                ("impact", models.TextField(blank=True, verbose_name="current impact")),
                ("what_changed", models.TextField(blank=True)),
                ("next_steps", models.TextField(blank=True)),
                (
                    "next_update_due",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the next update was promised; empty for no promise.",
                        null=True,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shared_updates",
                        to="core.externaluser",
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="updates",
                        to="core.incident",
                    ),
                ),
            ],
            options={
                "ordering": ["incident", "created_at", "id"],
                "indexes": [
                    models.Index(
                        fields=["incident", "-created_at", "-id"], name="update_latest_first"
                    )
                ],
            },
        ),
    ]
