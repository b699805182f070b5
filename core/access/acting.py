"""The one record of who is acting right now, kept in a context variable.

A context variable, so that the worker's threads and the socket client's tasks each see their own
actor, and a block nested inside another (a service calling a service) keeps the outer one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from core.models import ExternalUser


class Via(StrEnum):
    """The surface a change came through, as the audit log names it."""

    SLACK = "slack"
    BROWSER = "browser"
    API = "api"
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Acting:
    """Who is acting: a signed-in person, a Slack user (often both, linked by email), or neither
    (the system: a sweep, the cron, a migration)."""

    via: Via = Via.SYSTEM
    person: AbstractBaseUser | None = None
    slack_user: ExternalUser | None = None

    @classmethod
    def for_slack_user(cls, user: ExternalUser) -> Acting:
        """A Slack user, acting with the groups of the login linked to them by email, if any."""
        return cls(via=Via.SLACK, slack_user=user, person=user.owner)

    @classmethod
    def for_person(cls, person: AbstractBaseUser, via: Via) -> Acting:
        """A signed-in person (browser, API or admin); anonymous visitors act as nobody."""
        return cls(via=via, person=person if person.is_authenticated else None)

    @property
    def is_system(self) -> bool:
        # By surface, not by who: an anonymous visitor also has neither person nor Slack user.
        return self.via == Via.SYSTEM

    @property
    def name(self) -> str:
        """How the audit log and refusals name the actor."""
        if self.person is not None:
            return self.person.get_username()
        if self.slack_user is not None:
            return self.slack_user.name
        return "Response"


SYSTEM = Acting()
_acting: ContextVar[Acting] = ContextVar("acting", default=SYSTEM)


def current() -> Acting:
    """Who is acting here and now; the system when no surface said otherwise."""
    return _acting.get()


@contextmanager
def acting_as(acting: Acting) -> Iterator[Acting]:
    """Everything inside the block is done by ``acting``."""
    token = _acting.set(acting)
    try:
        yield acting
    finally:
        _acting.reset(token)


def act_from_here_as(acting: Acting) -> None:
    """From here to the end of the enclosing ``acting_as`` block, ``acting`` acts.

    For a surface that learns who acts only part-way through a block it did not open: the REST
    API authenticates inside the view, within the request's block (``ActingMiddleware``).
    """
    _acting.set(acting)
