"""Reads the web pages need that join the incident domain with what Response knows of Slack.

``core`` never imports ``slack``; the pages show both, so these reads live here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from core import selectors as core_selectors
from core.models import Incident
from slack.models import CommsChannel, UserStats


def incident_document(*, incident_id: int) -> Incident:
    """The incident with reporter, lead and comms channel joined; raises ``DoesNotExist``."""
    return core_selectors.incident_list().select_related("comms_channel").get(pk=incident_id)


def participants_for_incident(*, incident: Incident) -> QuerySet[UserStats]:
    """Who took part in the incident's channel, most messages first."""
    return (
        UserStats.objects.filter(incident=incident, message_count__gt=0)
        .select_related("user")
        .order_by("-message_count", "first_message_at", "id")
    )


def channel_names(*, channel_ids: Iterable[str]) -> dict[str, str]:
    """Names of the comms channels with these Slack ids (one query; others are left out)."""
    ids = set(channel_ids)
    if not ids:
        return {}
    return dict(CommsChannel.objects.filter(channel_id__in=ids).values_list("channel_id", "name"))
