from __future__ import annotations

from django.conf import settings
from django.db import models


class ExternalUser(models.Model):
    """A Slack user, cached from ``users.info`` and refreshed when stale.

    Keyed on the Slack id alone, so a renamed user stays one row (the original tool made a new row
    on every rename).
    """

    external_id = models.CharField("Slack user id", max_length=32, unique=True)
    display_name = models.CharField(max_length=100, blank=True)
    full_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    deleted = models.BooleanField(default=False, help_text="Deactivated in Slack.")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="Slack's tz (users.info), e.g. Europe/London: times people type are read in it.",
    )
    refreshed_at = models.DateTimeField(null=True, blank=True, help_text="Last read from Slack.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="external_users",
        help_text="The login this Slack user corresponds to, if any.",
    )

    class Meta:
        ordering = ["display_name"]
        verbose_name = "Slack user"

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The best human-readable name we have."""
        return self.display_name or self.full_name or self.external_id
