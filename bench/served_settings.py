"""Production settings for the gunicorn of ``bench/pages.py --served``.

As in the bench's own process (``bench.insights.migrated_client``), static files are served
unhashed from the source folders, which spares the bench a ``collectstatic``; their URLs cost a
dictionary lookup either way.
"""

from response.settings import *  # noqa: F403
from response.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
