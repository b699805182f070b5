from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models

from core.models.external_user import ExternalUser


class SlackUserGroup(models.Model):
    """A Slack user group (``@oncall``), cached from ``usergroups.list``.

    Mapped to a Django group in the admin, its members act with that group's permissions
    (SPEC §18). Members are refreshed from ``usergroups.users.list`` on a schedule.
    """

    external_id = models.CharField("Slack user group id", max_length=32, unique=True)
    handle = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200, blank=True)
    disabled = models.BooleanField(default=False, help_text="Disabled in Slack: grants nothing.")
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slack_user_groups",
        help_text="Its members have this group's permissions.",
    )
    members = models.ManyToManyField(ExternalUser, blank=True, related_name="slack_user_groups")
    refreshed_at = models.DateTimeField(null=True, blank=True, help_text="Last read from Slack.")

    class Meta:
        ordering = ["handle"]
        verbose_name = "Slack user group"

    def __str__(self) -> str:
        return f"@{self.handle}" if self.handle else self.name or self.external_id
