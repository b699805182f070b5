"""A follow-up's ``done`` flag becomes a status (open, done, won't do; SPEC §16).

Done follow-ups become ``done``, the others ``open``; migrating back keeps ``done`` as done and
folds ``won't do`` into not done (the old flag cannot say it).
"""

from django.db import migrations, models


def status_from_done(apps, schema_editor):
    Action = apps.get_model("core", "Action")
    Action.objects.filter(done=True).update(status="done")
    Action.objects.filter(done=False).update(status="open")


def done_from_status(apps, schema_editor):
    Action = apps.get_model("core", "Action")
    Action.objects.filter(status="done").update(done=True)
    Action.objects.exclude(status="done").update(done=False)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_postmortem_and_timeline_curation"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="status",
            field=models.CharField(
                choices=[("open", "open"), ("done", "done"), ("wont_do", "won't do")],
                default="open",
                max_length=16,
            ),
        ),
        migrations.RunPython(status_from_done, done_from_status),
        migrations.RemoveField(
            model_name="action",
            name="done",
        ),
    ]
