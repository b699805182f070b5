from __future__ import annotations

import importlib
import pkgutil

from django.apps import AppConfig

# Not behaviour: their modules are Django's to import (migrations) or import nothing of ours.
NOT_IMPORTED_AT_START = ("slack.migrations",)


def app_modules() -> list[str]:
    """Every module of the app, in a fixed (alphabetical, depth-first) order."""
    import slack

    return [
        module.name
        for module in pkgutil.walk_packages(slack.__path__, prefix="slack.")
        if not module.name.startswith(NOT_IMPORTED_AT_START)
    ]


class SlackConfig(AppConfig):
    name = "slack"
    verbose_name = "Slack"

    def ready(self) -> None:
        """Import every module of the app, then the plugins.

        That one walk is how each process, web and worker alike, knows every handler, signal
        receiver, job and startup check: a new flow's folder is found without being listed
        anywhere. Built-in handlers register before plugins, so a plugin that reuses a built-in
        key fails with a message naming both places.
        """
        from slack.plugins import load_plugins

        for name in app_modules():
            importlib.import_module(name)
        load_plugins()
