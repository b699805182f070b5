"""Every write of the headline flow's own state (``HeadlinePost``)."""

from __future__ import annotations

from django.utils import timezone

from slack.flows.headline.models import HeadlinePost


def headline_post_record(*, incident_id: int, channel_id: str, ts: str) -> HeadlinePost:
    """Remember where the incident's headline is, so that updates edit it in place."""
    post, _ = HeadlinePost.objects.update_or_create(
        incident_id=incident_id,
        defaults={"channel_id": channel_id, "ts": ts, "posted_at": timezone.now()},
    )
    return post
