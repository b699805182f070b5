"""The overdue DMs' ledger: one row per follow-up owner and day, claimed before the DM is sent."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OverdueDigest(models.Model):
    """The day's DM to one owner listing their overdue follow-ups.

    The unique (owner, day) pair is what makes it one DM a day: the sweep claims a row with
    ``INSERT … ON CONFLICT DO NOTHING`` and sends only for the rows it inserted. ``day`` is the
    owner's own date, in their Slack time zone. ``action_ids`` are the follow-ups the DM lists, so
    a click can redraw it.
    """

    owner = models.ForeignKey(
        "core.ExternalUser", on_delete=models.CASCADE, related_name="overdue_digests"
    )
    day = models.DateField()
    action_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="overdue_digest_one_a_day")
        ]

    def __str__(self) -> str:
        return f"overdue follow-ups of {self.owner_id} on {self.day}"
