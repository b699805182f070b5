"""The headline follows the incident: posted when it is declared, re-rendered on every change.

Whatever path changed the incident (a modal, a button, ``@incident``, the API, the admin), the
headline shows it, because these receivers hang off ``core.signals`` (sent inside the writing
transaction, so the job they defer commits with the change).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from core import signals
from core.models import Incident
from slack.flows.headline.jobs import schedule_headline_post, schedule_headline_update


@receiver(signals.incident_declared, dispatch_uid="slack.headline_on_declare")
def post_headline_on_declare(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    schedule_headline_post(incident.pk)


@receiver(signals.incident_updated, dispatch_uid="slack.headline_on_update")
def update_headline_on_change(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    schedule_headline_update(incident.pk)


@receiver(signals.incident_closed, dispatch_uid="slack.headline_on_close")
def resolve_headline_on_close(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    schedule_headline_update(incident.pk)
