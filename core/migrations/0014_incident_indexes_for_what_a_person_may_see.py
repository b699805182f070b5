from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the lists of what a person may see (SPEC §18, §19): the newest-first index
    carries the private flag, so a list or a deep page skips rows on the index alone; the live
    incidents have a newest-first index of their own; the private ones are indexed apart."""

    dependencies = [
        ("core", "0013_permissions_and_slack_user_groups"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="incident", name="incident_newest_first"),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["-report_time", "-id"], include=("private",), name="incident_newest_first"
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["fixing", "investigating", "monitoring", "triage"])
                ),
                fields=["-report_time", "-id"],
                include=("severity", "private"),
                name="incident_live_newest_first",
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("private", True)), fields=["id"], name="incident_private"
            ),
        ),
    ]
