"""Importing the modules listed in ``RESPONSE_PLUGINS`` (SPEC §7)."""

from __future__ import annotations

import importlib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_loaded: set[str] = set()


def load_plugins(modules: list[str] | None = None) -> None:
    """Import each plugin module once; their decorators register what they provide.

    A module that cannot be imported stops startup, naming the module and the setting.
    """
    for name in settings.RESPONSE_PLUGINS if modules is None else modules:
        if name in _loaded:
            continue
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise ImproperlyConfigured(
                f"RESPONSE_PLUGINS lists {name!r}, which cannot be imported: {error}"
            ) from error
        _loaded.add(name)
