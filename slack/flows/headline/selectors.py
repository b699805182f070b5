"""Reads of the headline flow: which headline the publisher posts next."""

from __future__ import annotations

from django.db.models import F

from slack.flows.headline.models import HeadlinePost


def next_waiting_headline() -> HeadlinePost | None:
    """The headline to post next: the most severe waiting (no severity yet counts last), then the
    one waiting longest (rows are made when the incident is declared)."""
    return (
        HeadlinePost.objects.filter(ts="")
        .order_by(F("incident__severity").asc(nulls_last=True), "pk")
        .first()
    )
