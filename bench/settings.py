"""Production settings for the benchmarks over many incidents (``bench/insights.py``,
``bench/pages.py``), in their own process and in the gunicorn ``bench/pages.py --served`` starts.

Static files are served unhashed from the source folders, which spares the benches a
``collectstatic``; their URLs cost a dictionary lookup either way.
"""

from response.settings import *  # noqa: F403
from response.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
