"""What a shared update and a resolution promise, however they happened (SPEC §15).

Hung off ``core.signals``, sent inside the writing transaction: the posts are deferred there, so
they commit with the update (or the resolution) and never without it. The update goes to the
comms channel, under the headline and to each follower but its author; the headline is
re-rendered to show the latest update and when the next is due. On resolution, each follower
is told by DM.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from core import selectors, signals
from core.models import Incident, Update
from slack.block_kit import document_url
from slack.flows.comms_channel.models import CommsChannel
from slack.flows.headline.jobs import schedule_headline_update
from slack.flows.updates import blocks
from slack.flows.updates.jobs import (
    post_update_in_headline_thread,
    send_resolution_to_follower,
    send_update_to_follower,
)


@receiver(signals.update_shared, dispatch_uid="slack.spread_update")
def spread_update(sender: Any, *, incident: Incident, update: Update, **kwargs: Any) -> None:
    comms = CommsChannel.objects.filter(incident=incident).first()
    if comms is not None:
        comms.post_in_channel(
            *blocks.update_message(
                incident, update, document_url=document_url(incident.pk, settings.SITE_URL)
            )
        )
    if not incident.private:  # the headline's thread is in the central channel, read by all
        post_update_in_headline_thread.defer(incident_id=incident.pk, update_id=update.pk)
    followers = [
        follower.user.external_id
        for follower in selectors.followers_for_incident(incident=incident)
        if follower.user_id != update.author_id and not follower.user.deleted
    ]
    if followers:
        send_update_to_follower.batch_defer(
            *(
                {"incident_id": incident.pk, "update_id": update.pk, "user_id": user_id}
                for user_id in followers
            )
        )
    schedule_headline_update(incident.pk)


@receiver(signals.incident_closed, dispatch_uid="slack.tell_followers_of_resolution")
def tell_followers_of_resolution(sender: Any, *, incident: Incident, **kwargs: Any) -> None:
    followers = [
        follower.user.external_id
        for follower in selectors.followers_for_incident(incident=incident)
        if not follower.user.deleted
    ]
    if followers:
        send_resolution_to_follower.batch_defer(
            *({"incident_id": incident.pk, "user_id": user_id} for user_id in followers)
        )
