"""Where an incident's headline post is, so that it can be updated in place."""

from __future__ import annotations

from django.db import models


class HeadlinePost(models.Model):
    """The incident's summary message in the central channel, updated in place."""

    incident = models.OneToOneField(
        "core.Incident", on_delete=models.CASCADE, related_name="headline_post"
    )
    channel_id = models.CharField(max_length=32)
    ts = models.CharField("message ts", max_length=32, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    # When posting was first tried: a later attempt looks for that post in Slack before posting,
    # since Slack may have taken it without the answer reaching us.
    tried_at = models.DateTimeField(null=True, blank=True)
    # A digest of the rendering Slack last took: a change the headline does not show (a summary,
    # say) then costs no chat.update, which counts against a limit shared by every headline.
    shown_digest = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Headline of incident {self.incident_id}"
