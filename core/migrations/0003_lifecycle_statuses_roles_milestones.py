# The lifecycle of SPEC §14: status, drill and merge target on the incident; roles, their holders
# and milestones as rows; each Slack user's time zone. Part-1 rows get their values in 0004; the
# lead field goes in 0005.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_participation_in_the_domain"),
    ]

    operations = [
        migrations.CreateModel(
            name="Milestone",
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
                            ("started", "Started"),
                            ("detected", "Detected"),
                            ("declared", "Declared"),
                            ("acknowledged", "Acknowledged"),
                            ("mitigated", "Mitigated"),
                            ("resolved", "Resolved"),
                        ],
                        max_length=16,
                    ),
                ),
                ("time", models.DateTimeField()),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["incident", "time"],
            },
        ),
        migrations.CreateModel(
            name="Role",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.SlugField(
                        help_text="What people type: @incident role <name> @person.",
                        max_length=32,
                        unique=True,
                    ),
                ),
                (
                    "label",
                    models.CharField(help_text="How it is shown: Incident lead.", max_length=80),
                ),
                (
                    "duty",
                    models.CharField(
                        help_text="One line sent to a new holder by DM: what they are there to do.",
                        max_length=300,
                    ),
                ),
                (
                    "order",
                    models.PositiveSmallIntegerField(default=100, help_text="Lower comes first."),
                ),
            ],
            options={
                "ordering": ["order", "name"],
            },
        ),
        migrations.CreateModel(
            name="RoleAssignment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("assigned_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["incident", "role__order"],
            },
        ),
        migrations.AddField(
            model_name="externaluser",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="Slack's tz (users.info), e.g. Europe/London: times people type are read in it.",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="drill",
            field=models.BooleanField(
                default=False,
                help_text="A practice run: labelled everywhere and left out of the numbers.",
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                help_text="Set when the status is merged.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_incidents",
                to="core.incident",
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="status",
            field=models.CharField(
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
                default="investigating",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="end_time",
            field=models.DateTimeField(
                blank=True,
                help_text="When it stopped being live (resolved, declined, merged).",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="report_time",
            field=models.DateTimeField(
                default=django.utils.timezone.now, help_text="The declared milestone."
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="start_time",
            field=models.DateTimeField(
                default=django.utils.timezone.now, help_text="The started milestone."
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "triage",
                            "investigating",
                            "fixing",
                            "monitoring",
                            "resolved",
                            "declined",
                            "merged",
                            "reported",
                        ],
                    )
                ),
                name="incident_status_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("merged_into__isnull", False), ("status", "merged")),
                    models.Q(
                        models.Q(("status", "merged"), _negated=True), ("merged_into__isnull", True)
                    ),
                    _connector="OR",
                ),
                name="incident_merged_names_its_target",
            ),
        ),
        migrations.AddField(
            model_name="milestone",
            name="incident",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="milestones",
                to="core.incident",
            ),
        ),
        migrations.AddField(
            model_name="milestone",
            name="set_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.externaluser",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="assigned_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.externaluser",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="holder",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="role_assignments",
                to="core.externaluser",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="incident",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="role_assignments",
                to="core.incident",
            ),
        ),
        migrations.AddField(
            model_name="roleassignment",
            name="role",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="core.role",
            ),
        ),
        migrations.AddIndex(
            model_name="milestone",
            index=models.Index(fields=["kind", "incident", "time"], name="milestone_by_kind"),
        ),
        migrations.AddConstraint(
            model_name="milestone",
            constraint=models.UniqueConstraint(
                fields=("incident", "kind"), name="one_milestone_per_kind"
            ),
        ),
        migrations.AddConstraint(
            model_name="milestone",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "started",
                            "detected",
                            "declared",
                            "acknowledged",
                            "mitigated",
                            "resolved",
                        ],
                    )
                ),
                name="milestone_kind_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="roleassignment",
            constraint=models.UniqueConstraint(
                fields=("incident", "role"), name="one_holder_per_role"
            ),
        ),
    ]
