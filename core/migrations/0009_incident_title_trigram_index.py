import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The title search reads an index of trigrams instead of every incident (pg_trgm, which
    PostgreSQL ships and lets a database's owner enable)."""

    dependencies = [
        ("core", "0008_updates_followers_and_cadence"),
    ]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="incident",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["title"], name="incident_title_trigrams", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
