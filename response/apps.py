"""The project's own app: only to register its system checks (response/checks.py)."""

from __future__ import annotations

from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "response"
    verbose_name = "Response"

    def ready(self) -> None:
        from response import checks  # noqa: F401 (importing registers the checks)
