"""Commands that must ask Slack about a person before they can be applied.

``@incident role comms @bob`` must refuse a Bob the workspace does not have (an id Slack calls
``user_not_found``, or a deactivated account), and ``@incident milestone detected 14:05`` must
read 14:05 in the speaker's Slack time zone, which may not be cached yet. Both answers come from
``users.info``. But a command runs inside its mention's transaction, where Slack calls are
refused (``slack.registry.RULES``): a call there could hold the incident's row lock while Slack
takes its time, and a rollback would not undo what Slack was told.

So such a command changes nothing where it runs: it returns an ``AfterLookup`` (which step, whom
to look up, what was asked), and the mention's handler defers it as one job,
``slack.finish_after_lookup``. The job

1. asks Slack about the person, outside any transaction (a failure there is retried, and
   changes nothing);
2. then, in one transaction: records that the command was finished (keyed by the mention's
   channel and ts, so a job run again after this commit does nothing), applies the step through
   ``core.services`` with Slack calls refused, and promises the ✅ or ❓ and the reply.

The person's answer is cached (``ExternalUser``, time zone included), so the next command about
them reads it from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core import selectors
from core.models import ExternalUser, Incident
from slack.delivery.jobs import job
from slack.flows.commands.replies import Reply, answer
from slack.incoming.dedup import record_once
from slack.users import look_up_user, user_for
from slack.web_api.guard import slack_calls_forbidden

logger = logging.getLogger(__name__)

# step(incident, speaker, person or None when the workspace has no such person, arguments)
Step = Callable[[Incident, ExternalUser, ExternalUser | None, dict[str, Any]], Reply]

STEPS: dict[str, Step] = {}


def finishing_step(name: str) -> Callable[[Step], Step]:
    """Register what a command does once its person is known, under ``name``."""

    def decorate(func: Step) -> Step:
        STEPS[name] = func
        return func

    return decorate


@dataclass(frozen=True)
class AfterLookup:
    """A command to finish once Slack has said who ``person_id`` is."""

    step: str
    person_id: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def defer(self, *, incident: Incident, speaker_id: str, channel_id: str, ts: str) -> None:
        """Promise the job, in the caller's transaction."""
        finish_after_lookup.defer(
            step=self.step,
            incident_id=incident.pk,
            speaker_id=speaker_id,
            person_id=self.person_id,
            arguments=self.arguments,
            channel_id=channel_id,
            ts=ts,
        )


@job("slack.finish_after_lookup")
def finish_after_lookup(
    step: str,
    incident_id: int,
    speaker_id: str,
    person_id: str,
    arguments: dict[str, Any],
    channel_id: str,
    ts: str,
) -> None:
    person = look_up_user(person_id)
    with transaction.atomic():
        if not record_once(f"finished:{channel_id}:{ts}", "finished command"):
            logger.info("the command of %s in %s was already finished", ts, channel_id)
            return
        incident = selectors.incident_list().filter(pk=incident_id).first()
        if incident is None:
            logger.warning("incident %s is gone; command %s not finished", incident_id, step)
            return
        with slack_calls_forbidden(lambda: f"the {step} step of slack.finish_after_lookup"):
            handled, reply = STEPS[step](incident, user_for(speaker_id), person, arguments)
            answer(incident, channel_id=channel_id, ts=ts, handled=handled, reply=reply)
