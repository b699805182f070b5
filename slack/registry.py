"""Decorator registries: how built-in behaviour and plugins attach to Slack (SPEC §7).

Each surface has one registry keyed by what Slack sends (a command word, an action id, a callback
id, an event type...). Registering the same key twice raises ``DuplicateRegistration`` at import,
naming both places, so two modules can never silently fight over a key.

**Where a handler runs, and whether it is atomic, is part of its declaration** (``runs=``,
``atomic=``), never of where its function happens to sit. One default everywhere: in the worker,
inside one transaction. The table ``RULES`` says, per surface, what else is allowed and why; a
declaration it does not allow fails at import. ``Registration.run`` is the one place a handler
is called, as it declared; an atomic handler that calls Slack fails loudly
(``slack.web_api.guard``).

The public decorators are re-exported by ``slack.decorators`` for plugin authors.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from django.db import connection, transaction

from slack.web_api.guard import slack_calls_forbidden

logger = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])


class DuplicateRegistration(Exception):
    """The same key was registered twice; the message names both places."""


class InvalidContext(ValueError):
    """A handler declared a place to run, or a transaction, that its surface cannot give it."""


Runs = Literal["request", "worker"]


@dataclass(frozen=True)
class Context:
    """Where a handler runs and whether it runs inside one transaction.

    ``runs="request"``: before Slack is answered (3 s), for what must use the request: its
    answer, or a trigger id that expires. ``runs="worker"``: as a job, after Slack is answered.
    ``atomic=True``: what the handler writes and the jobs it defers commit together or not at
    all, and it makes no Slack call (it defers them). ``atomic=False``: it manages its own
    transactions, and may call Slack or another service.
    """

    runs: Runs = "worker"
    atomic: bool = True


@dataclass(frozen=True)
class Rule:
    """What one surface allows; ``why`` is told to whoever declares something else."""

    runs: frozenset[str]
    atomic: frozenset[bool]
    why: str

    @property
    def default(self) -> Context:
        # The one default, in the worker and atomic, wherever the surface allows it.
        return Context(
            runs="worker" if "worker" in self.runs else "request",
            atomic=True in self.atomic,
        )


REQUEST, WORKER, BOTH = (
    frozenset({"request"}),
    frozenset({"worker"}),
    frozenset({"request", "worker"}),
)
ATOMIC, EITHER = frozenset({True}), frozenset({True, False})

RULES: dict[str, Rule] = {
    "slash command": Rule(REQUEST, EITHER, "its answer is Slack's reply to the request"),
    "view callback id": Rule(
        REQUEST, EITHER, "its answer (errors shown in the modal) is the reply"
    ),
    "action id": Rule(BOTH, EITHER, ""),
    "event": Rule(
        WORKER, ATOMIC, "it runs in the delivery's transaction, so a retry does everything once"
    ),
    "incident command": Rule(WORKER, ATOMIC, "it runs inside the app_mention event's transaction"),
    "keyword": Rule(WORKER, ATOMIC, "it runs inside the message event's transaction"),
    "notification": Rule(REQUEST, ATOMIC, "it runs inside the reminder sweep's transaction"),
    "headline button": Rule(WORKER, ATOMIC, "it is built inside the headline job"),
}


def context_for(
    surface: str, handler: Callable[..., Any], runs: str | None, atomic: bool | None
) -> Context:
    """The handler's declared context, with the surface's default for what it left out."""
    rule = RULES[surface]
    context = Context(
        runs=runs if runs is not None else rule.default.runs,  # type: ignore[arg-type]
        atomic=atomic if atomic is not None else rule.default.atomic,
    )
    if context.runs not in rule.runs or context.atomic not in rule.atomic:
        raise InvalidContext(
            f"{describe(handler)} declares runs={context.runs!r}, atomic={context.atomic} for "
            f"a {surface}, which runs {' or '.join(sorted(rule.runs))}"
            f"{' and atomic' if rule.atomic == ATOMIC else ''}: {rule.why}."
        )
    return context


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
    context: Context = field(default_factory=Context)

    def run(self, *args: Any) -> Any:
        """Call the handler as it declared; the one place every registered handler is called.

        Atomic: inside one transaction (the caller's when one is open, so an event's handlers
        share their delivery's) with Slack calls refused. Not atomic: as it is.
        """
        if not self.context.atomic:
            return self.handler(*args)
        with slack_calls_forbidden(lambda: describe(self.handler)):
            if connection.in_atomic_block:
                return self.handler(*args)
            with transaction.atomic():
                return self.handler(*args)


class _Surface(Generic[Handler]):
    """What both kinds of registry share: a surface name, and declarations checked on entry."""

    def __init__(self, surface: str) -> None:
        self.surface = surface

    def register(
        self,
        key: str,
        handler: Handler,
        *,
        runs: str | None = None,
        atomic: bool | None = None,
        **options: Any,
    ) -> None:
        context = context_for(self.surface, handler, runs, atomic)
        self._add(Registration(key, handler, options, context))

    def _add(self, registration: Registration[Handler]) -> None:
        raise NotImplementedError


class Registry(_Surface[Handler]):
    """Handlers by key, one handler per key."""

    def __init__(self, surface: str, *, normalise: Callable[[str], str] = str) -> None:
        super().__init__(surface)
        self._normalise = normalise
        self._entries: dict[str, Registration[Handler]] = {}

    def _add(self, registration: Registration[Handler]) -> None:
        key = registration.key = self._normalise(registration.key)
        existing = self._entries.get(key)
        if existing is not None and existing.handler is not registration.handler:
            raise DuplicateRegistration(
                f"{self.surface} {key!r} is registered twice: by {describe(existing.handler)} "
                f"and by {describe(registration.handler)}. Remove one, or give it another "
                f"{self.surface}."
            )
        self._entries[key] = registration

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


class MultiRegistry(_Surface[Handler]):
    """Several handlers per key (all of them run), but each handler at most once per key."""

    def __init__(self, surface: str) -> None:
        super().__init__(surface)
        self._entries: dict[str, list[Registration[Handler]]] = {}

    def _add(self, registration: Registration[Handler]) -> None:
        handlers = self._entries.setdefault(registration.key, [])
        if any(entry.handler is registration.handler for entry in handlers):
            raise DuplicateRegistration(
                f"{describe(registration.handler)} is registered twice for {self.surface} "
                f"{registration.key!r}."
            )
        handlers.append(registration)

    def unregister(self, key: str, handler: Handler) -> None:
        self._entries[key] = [e for e in self._entries.get(key, []) if e.handler is not handler]

    def get(self, key: str) -> list[Registration[Handler]]:
        return list(self._entries.get(key, []))

    def keys(self) -> list[str]:
        return [key for key, handlers in self._entries.items() if handlers]

    def __iter__(self):
        return iter([entry for handlers in self._entries.values() for entry in handlers])


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
headline_buttons: Registry = Registry("headline button")


# --- Decorators (SPEC §7 names and call shapes) ------------------------------------------------


def slash_command(command: str, *, atomic: bool | None = None) -> Callable[[Handler], Handler]:
    """``handler(command: SlashCommand) -> dict | str | None`` answers a slash command in the
    request (its answer is Slack's reply)."""

    def decorate(func: Handler) -> Handler:
        slash_commands.register(command, func, atomic=atomic)
        return func

    return decorate


def incident_command(commands: Iterable[str], helptext: str = "") -> Callable[[Handler], Handler]:
    """``handler(incident, user_id, message) -> (handled, reply)`` for ``@incident <command>``.

    The first word is the command's name in help; the others are aliases. A command that must
    ask Slack about someone first returns a ``slack.flows.lifecycle.lookup.AfterLookup``
    instead, finished by a job (commands run atomic, with Slack calls refused).
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


def action_handler(
    action_id: str, *, runs: Runs | None = None, atomic: bool | None = None
) -> Callable[[Handler], Handler]:
    """``handler(action_context)`` for a button or select with this ``action_id``.

    By default it runs in the worker after Slack has been answered, in one transaction.
    ``runs="request"`` is only for handlers that must open a modal while the trigger id is valid
    (3 s), and that do nothing else slow; they call Slack, so they declare ``atomic=False``.
    """

    def decorate(func: Handler) -> Handler:
        action_handlers.register(action_id, func, runs=runs, atomic=atomic)
        return func

    return decorate


def view_handler(callback_id: str, *, atomic: bool | None = None) -> Callable[[Handler], Handler]:
    """``handler(view_context) -> dict | None`` for a modal's submission (or closing).

    It runs inside the request; the dict it returns (``{"response_action": "errors", ...}``) is
    Slack's answer, so validation errors appear inside the modal.
    """

    def decorate(func: Handler) -> Handler:
        view_handlers.register(callback_id, func, atomic=atomic)
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
            _function_key(func),
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
            _function_key(func),
            func,
            interval_mins=0,
            max_notifications=1,
            initial_delay_mins=initial_delay_mins,
        )
        return func

    return decorate


def _function_key(func: Callable[..., Any]) -> str:
    """Where a function is defined, as its key (reminders and headline buttons have no other)."""
    return f"{func.__module__}.{func.__qualname__}"


def headline_button() -> Callable[[Handler], Handler]:
    """``builder(incident) -> dict | None``: a button for live incidents' headlines, or None.

    How workflows put a button on the headline without the headline knowing them (PagerDuty's
    Page on-call returns None while PagerDuty is disabled). It is called in the headline job each
    time the headline is rendered, inside a transaction and with Slack calls refused: build the
    button from the database, never by asking Slack.
    """

    def decorate(func: Handler) -> Handler:
        headline_buttons.register(_function_key(func), func)
        return func

    return decorate
