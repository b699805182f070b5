# The lead is now the holder of the lead role (copied over in 0004).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_part_one_incidents_get_a_lifecycle"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="incident",
            name="lead",
        ),
    ]
