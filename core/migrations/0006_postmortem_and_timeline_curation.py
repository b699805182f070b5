"""Postmortems with their sections and revisions; timeline entries can be hidden and keep\ntheir edit history (SPEC §16)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_lead_is_a_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="timelineevent",
            name="hidden",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="Postmortem",
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
                            ("draft", "draft"),
                            ("in_review", "in review"),
                            ("published", "published"),
                        ],
                        default="draft",
                        max_length=16,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("status_changed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("status_changed_by", models.CharField(blank=True, max_length=150)),
                (
                    "incident",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="postmortem",
                        to="core.incident",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PostmortemSection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.CharField(
                        choices=[
                            ("summary", "Summary"),
                            ("impact", "Impact"),
                            ("root_cause", "Root cause"),
                            ("contributing_factors", "Contributing factors"),
                            ("went_well", "What went well"),
                            ("went_badly", "What went badly"),
                            ("lessons", "Lessons"),
                        ],
                        max_length=32,
                    ),
                ),
                ("text", models.TextField(blank=True)),
                ("revision", models.PositiveIntegerField(default=0)),
                (
                    "postmortem",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sections",
                        to="core.postmortem",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PostmortemRevision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                ("text", models.TextField(blank=True)),
                ("editor_name", models.CharField(blank=True, max_length=150)),
                ("saved_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "editor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="postmortem_revisions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "section",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revisions",
                        to="core.postmortemsection",
                    ),
                ),
            ],
            options={
                "ordering": ["section", "-number"],
            },
        ),
        migrations.CreateModel(
            name="TimelineEdit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("text", "text edited"),
                            ("time", "time moved"),
                            ("hidden", "hidden"),
                            ("shown", "shown again"),
                        ],
                        max_length=16,
                    ),
                ),
                ("old_value", models.TextField(blank=True)),
                ("new_value", models.TextField(blank=True)),
                ("editor_name", models.CharField(blank=True, max_length=150)),
                ("edited_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "editor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="timeline_edits",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="edits",
                        to="core.timelineevent",
                    ),
                ),
            ],
            options={
                "ordering": ["entry", "edited_at", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="postmortemsection",
            constraint=models.UniqueConstraint(
                fields=("postmortem", "key"), name="postmortem_one_section"
            ),
        ),
        migrations.AddConstraint(
            model_name="postmortemrevision",
            constraint=models.UniqueConstraint(
                fields=("section", "number"), name="postmortem_revision_once"
            ),
        ),
    ]
