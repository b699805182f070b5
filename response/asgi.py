"""ASGI entry point, for servers that prefer it; the production server is gunicorn (WSGI)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "response.settings")

application = get_asgi_application()
