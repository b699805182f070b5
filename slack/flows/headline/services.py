"""Every write of the headline flow's own state (``HeadlinePost``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from slack.flows.headline.models import HeadlinePost


def headline_post_wanted(*, incident_id: int) -> None:
    """Queue the incident's headline: a row without ``ts`` waits for the publisher to post it."""
    HeadlinePost.objects.get_or_create(incident_id=incident_id)


def headline_post_tried(post: HeadlinePost, *, at: dt.datetime | None) -> None:
    """Note when posting was first tried (None: the try did nothing, as a 429 says)."""
    post.tried_at = at
    post.save(update_fields=["tried_at"])


def headline_post_abandon(post: HeadlinePost) -> None:
    """Stop waiting to post a headline Slack refuses for good (updates then skip it)."""
    HeadlinePost.objects.filter(pk=post.pk, ts="").delete()


def headline_post_record(
    *, incident_id: int, channel_id: str, ts: str, shown_digest: str = ""
) -> HeadlinePost:
    """Remember where the incident's headline is, so that updates edit it in place."""
    post, _ = HeadlinePost.objects.update_or_create(
        incident_id=incident_id,
        defaults={
            "channel_id": channel_id,
            "ts": ts,
            "posted_at": timezone.now(),
            "shown_digest": shown_digest,
        },
    )
    return post


def headline_post_shown(post: HeadlinePost, *, digest: str) -> None:
    """Remember which rendering Slack now shows."""
    post.shown_digest = digest
    post.save(update_fields=["shown_digest"])
