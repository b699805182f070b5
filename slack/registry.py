"""Decorator registries: how built-in behaviour and plugins attach to Slack (SPEC §7).

Each surface has one registry keyed by what Slack sends (a command word, an action id, a callback
id, an event type...). Registering the same key twice raises ``DuplicateRegistration`` at import,
naming both places, so two modules can never silently fight over a key.

The public decorators are re-exported by ``slack.decorators`` for plugin authors.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])


class DuplicateRegistration(Exception):
    """The same key was registered twice; the message names both places."""


def describe(func: Callable[..., Any]) -> str:
    """``module.function (file:line)``: where a handler is defined, for error messages."""
    try:
        where = f"{inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]}"
    except (OSError, TypeError):
        where = "unknown location"
    return f"{func.__module__}.{func.__qualname__} ({where})"


@dataclass
class Registration(Generic[Handler]):
    key: str
    handler: Handler
    options: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[Handler]):
    """Handlers by key, one handler per key."""

    def __init__(self, surface: str, *, normalise: Callable[[str], str] = str) -> None:
        self.surface = surface
        self._normalise = normalise
        self._entries: dict[str, Registration[Handler]] = {}

    def register(self, key: str, handler: Handler, **options: Any) -> None:
        key = self._normalise(key)
        existing = self._entries.get(key)
        if existing is not None and existing.handler is not handler:
            raise DuplicateRegistration(
                f"{self.surface} {key!r} is registered twice: by {describe(existing.handler)} "
                f"and by {describe(handler)}. Remove one, or give it another {self.surface}."
            )
        self._entries[key] = Registration(key, handler, options)

    def unregister(self, key: str) -> None:
        self._entries.pop(self._normalise(key), None)

    def get(self, key: str) -> Registration[Handler] | None:
        return self._entries.get(self._normalise(key))

    def keys(self) -> list[str]:
        return list(self._entries)

    def __iter__(self):
        return iter(list(self._entries.values()))

    def __contains__(self, key: str) -> bool:
        return self._normalise(key) in self._entries


class MultiRegistry(Generic[Handler]):
    """Several handlers per key (all of them run), but each handler at most once per key."""

    def __init__(self, surface: str) -> None:
        self.surface = surface
        self._entries: dict[str, list[Registration[Handler]]] = {}

    def register(self, key: str, handler: Handler, **options: Any) -> None:
        handlers = self._entries.setdefault(key, [])
        if any(entry.handler is handler for entry in handlers):
            raise DuplicateRegistration(
                f"{describe(handler)} is registered twice for {self.surface} {key!r}."
            )
        handlers.append(Registration(key, handler, options))

    def unregister(self, key: str, handler: Handler) -> None:
        self._entries[key] = [e for e in self._entries.get(key, []) if e.handler is not handler]

    def get(self, key: str) -> list[Registration[Handler]]:
        return list(self._entries.get(key, []))

    def keys(self) -> list[str]:
        return [key for key, handlers in self._entries.items() if handlers]


def _lower(word: str) -> str:
    return word.strip().lower()


# --- The registries ----------------------------------------------------------------------------

slash_commands: Registry = Registry("slash command", normalise=_lower)
incident_commands: Registry = Registry("incident command", normalise=_lower)
event_handlers: MultiRegistry = MultiRegistry("event")
action_handlers: Registry = Registry("action id")
view_handlers: Registry = Registry("view callback id")
keyword_handlers: Registry = Registry("keyword", normalise=_lower)
notifications: Registry = Registry("notification")


# --- Decorators (SPEC §7 names and call shapes) ------------------------------------------------


def slash_command(command: str) -> Callable[[Handler], Handler]:
    """``handler(command: SlashCommand) -> dict | str | None`` answers a slash command in the
    request (it may open a modal while the trigger id is valid)."""

    def decorate(func: Handler) -> Handler:
        slash_commands.register(command, func)
        return func

    return decorate


def incident_command(commands: Iterable[str], helptext: str = "") -> Callable[[Handler], Handler]:
    """``handler(incident, user_id, message) -> (handled, reply)`` for ``@incident <command>``.

    The first word is the command's name in help; the others are aliases.
    """
    words = list(commands)

    def decorate(func: Handler) -> Handler:
        for word in words:
            incident_commands.register(word, func, helptext=helptext, names=words)
        return func

    return decorate


def event_handler(event_type: str) -> Callable[[Handler], Handler]:
    """``handler(incident, event)`` for events in an incident's comms channel."""

    def decorate(func: Handler) -> Handler:
        event_handlers.register(event_type, func)
        return func

    return decorate


def action_handler(action_id: str, *, immediate: bool = False) -> Callable[[Handler], Handler]:
    """``handler(action_context)`` for a button or select with this ``action_id``.

    Handlers run in the worker, after Slack has been answered. ``immediate=True`` runs the
    handler inside the request instead: only for handlers that must open a modal while the
    trigger id is valid (3 s), and that do nothing else slow.
    """

    def decorate(func: Handler) -> Handler:
        action_handlers.register(action_id, func, immediate=immediate)
        return func

    return decorate


def view_handler(callback_id: str) -> Callable[[Handler], Handler]:
    """``handler(view_context) -> dict | None`` for a modal's submission (or closing).

    It runs inside the request; the dict it returns (``{"response_action": "errors", ...}``) is
    Slack's answer, so validation errors appear inside the modal.
    """

    def decorate(func: Handler) -> Handler:
        view_handlers.register(callback_id, func)
        return func

    return decorate


def keyword_handler(keywords: Iterable[str]) -> Callable[[Handler], Handler]:
    """``handler(comms_channel, user, text, ts)`` for messages containing one of the keywords."""
    words = list(keywords)

    def decorate(func: Handler) -> Handler:
        for word in words:
            keyword_handlers.register(word, func)
        return func

    return decorate


def recurring_notification(
    interval_mins: int, max_notifications: int = 1
) -> Callable[[Handler], Handler]:
    """``handler(incident)`` posted every ``interval_mins`` minutes, at most
    ``max_notifications`` times, counted from the comms channel's creation."""

    def decorate(func: Handler) -> Handler:
        notifications.register(
            _notification_key(func),
            func,
            interval_mins=interval_mins,
            max_notifications=max_notifications,
            initial_delay_mins=interval_mins,
        )
        return func

    return decorate


def single_notification(initial_delay_mins: int = 0) -> Callable[[Handler], Handler]:
    """``handler(incident)`` posted once, ``initial_delay_mins`` after the comms channel's
    creation."""

    def decorate(func: Handler) -> Handler:
        notifications.register(
            _notification_key(func),
            func,
            interval_mins=0,
            max_notifications=1,
            initial_delay_mins=initial_delay_mins,
        )
        return func

    return decorate


def _notification_key(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"
