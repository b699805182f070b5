import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExternalUser",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "external_id",
                    models.CharField(max_length=32, unique=True, verbose_name="Slack user id"),
                ),
                ("display_name", models.CharField(blank=True, max_length=100)),
                ("full_name", models.CharField(blank=True, max_length=200)),
                ("email", models.EmailField(blank=True, max_length=254)),
                ("deleted", models.BooleanField(default=False, help_text="Deactivated in Slack.")),
                (
                    "refreshed_at",
                    models.DateTimeField(blank=True, help_text="Last read from Slack.", null=True),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        help_text="The login this Slack user corresponds to, if any.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="external_users",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "Slack user",
                "ordering": ["display_name"],
            },
        ),
        migrations.CreateModel(
            name="Incident",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(help_text="The one-line report.", max_length=200)),
                (
                    "summary",
                    models.TextField(blank=True, help_text="What's the high level summary?"),
                ),
                ("impact", models.TextField(blank=True, help_text="What impact is this having?")),
                (
                    "severity",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        choices=[(1, "critical"), (2, "major"), (3, "minor"), (4, "trivial")],
                        null=True,
                    ),
                ),
                (
                    "report_only",
                    models.BooleanField(
                        default=False,
                        help_text="A report of something already over: it gets no comms channel.",
                    ),
                ),
                ("report_time", models.DateTimeField(default=django.utils.timezone.now)),
                ("start_time", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "end_time",
                    models.DateTimeField(blank=True, help_text="Set when closed.", null=True),
                ),
                (
                    "lead",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="led_incidents",
                        to="core.externaluser",
                    ),
                ),
                (
                    "reporter",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reported_incidents",
                        to="core.externaluser",
                    ),
                ),
            ],
            options={
                "ordering": ["-report_time", "-id"],
            },
        ),
        migrations.CreateModel(
            name="Action",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("details", models.TextField()),
                ("done", models.BooleanField(default=False)),
                (
                    "priority",
                    models.PositiveSmallIntegerField(
                        blank=True, choices=[(1, "high"), (2, "medium"), (3, "low")], null=True
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("done_at", models.DateTimeField(blank=True, null=True)),
                ("due_at", models.DateTimeField(blank=True, null=True)),
                (
                    "owner",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="actions",
                        to="core.externaluser",
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="actions",
                        to="core.incident",
                    ),
                ),
            ],
            options={
                "ordering": ["incident", "created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="TimelineEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("time", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("pinned_message", "Pinned message"),
                            ("incident_change", "Incident change"),
                            ("note", "Note"),
                        ],
                        max_length=32,
                    ),
                ),
                ("text", models.TextField(blank=True)),
                ("metadata", models.JSONField(blank=True, default=dict)),
                ("source_ref", models.CharField(blank=True, max_length=200)),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="timeline_events",
                        to="core.externaluser",
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="timeline_events",
                        to="core.incident",
                    ),
                ),
            ],
            options={
                "ordering": ["incident", "time", "id"],
            },
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["-report_time", "-id"], name="incident_newest_first"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("end_time__isnull", True)), fields=["id"], name="incident_open"
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("severity__isnull", True), ("severity__in", [1, 2, 3, 4]), _connector="OR"
                ),
                name="incident_severity_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end_time__isnull", True),
                    ("end_time__gte", models.F("start_time")),
                    _connector="OR",
                ),
                name="incident_ends_after_start",
            ),
        ),
        migrations.AddIndex(
            model_name="timelineevent",
            index=models.Index(fields=["incident", "time"], name="timeline_by_incident_time"),
        ),
        migrations.AddConstraint(
            model_name="timelineevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source_ref", ""), _negated=True),
                fields=("incident", "source_ref"),
                name="timeline_one_entry_per_source",
            ),
        ),
    ]
