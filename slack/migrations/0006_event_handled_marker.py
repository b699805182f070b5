from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0005_failed_job_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="processedevent",
            name="handled_at",
            field=models.DateTimeField(
                blank=True, help_text="Set in the transaction of the handlers' work.", null=True
            ),
        ),
    ]
