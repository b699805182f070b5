"""Who acts on a Slack delivery, and how a refusal reaches them (SPEC §18).

Every handler a delivery runs, runs as the Slack user who typed or clicked (with the permissions
of their linked login and of their Slack user groups); the jobs it defers carry them to the
worker (``slack.delivery.jobs``). A ``PermissionRefused`` from a handler is the one refusal: its
transaction is rolled back (``Registration.run`` gives each handler a savepoint of its own) and
the person is told, ephemerally, which permission they lack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.utils.functional import SimpleLazyObject

from core import services
from core.access import Acting, PermissionRefused, Via, acting_as
from core.models import ExternalUser
from slack.delivery.outbox import tell_user

logger = logging.getLogger(__name__)


def acting_for(user_id: str) -> Acting:
    """The Slack user ``user_id``, or the system when a delivery names nobody (a channel renamed
    by Slack itself).

    Read from the database only when something asks (a permission, a job deferred, the audit):
    ``/incident`` opens its modal without touching the database, within the trigger's 3 s. Their
    linked login is ``slack_user.owner``.
    """
    if not user_id:
        return Acting()
    return Acting(via=Via.SLACK, slack_user=SimpleLazyObject(lambda: _known_user(user_id)))


def _known_user(user_id: str) -> ExternalUser:
    """The Slack user, known from now on if they were not (to be refreshed later)."""
    user = ExternalUser.objects.select_related("owner").filter(external_id=user_id).first()
    return user or services.external_user_get_or_create(external_id=user_id)


@contextmanager
def as_slack_user(user_id: str) -> Iterator[Acting]:
    with acting_as(acting_for(user_id)) as acting:
        yield acting


def run_refusable(
    call: Callable[[], Any], *, user_id: str, channel_id: str, answer_refusal: bool = False
) -> Any:
    """``call()`` as the Slack user; a refusal is told to them and returns ``None`` (or, with
    ``answer_refusal``, the ephemeral answer to give Slack instead)."""
    with as_slack_user(user_id):
        try:
            return call()
        except PermissionRefused as refusal:
            logger.info("refused %s to %s", refusal.permission, user_id)
            if answer_refusal:
                return {"response_type": "ephemeral", "text": str(refusal)}
            tell_refusal(channel_id, user_id, refusal)
            return None


def tell_refusal(channel_id: str, user_id: str, refusal: PermissionRefused) -> None:
    """An ephemeral note where they acted, or a DM when there is no channel (a modal)."""
    tell_user.defer(channel_id=channel_id or user_id, user_id=user_id, text=str(refusal))
