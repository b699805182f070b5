"""Writes of the cached Slack user groups (SPEC §18): what Slack said, stored in one go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.models import ExternalUser, SlackUserGroup


@dataclass(frozen=True)
class SlackUserGroupData:
    """One user group as ``usergroups.list`` and ``usergroups.users.list`` describe it."""

    external_id: str
    handle: str
    name: str
    disabled: bool
    members: tuple[str, ...]


@transaction.atomic
def slack_user_groups_store(*, groups: Iterable[SlackUserGroupData]) -> list[SlackUserGroup]:
    """Replace the cache with ``groups``: their names and members as Slack has them now.

    A group Slack no longer lists is kept disabled (its mapping stays, for when it comes back)
    and grants nothing. Members Response has not met yet are created, to be refreshed later. A
    constant number of queries per group, whatever its size.
    """
    groups = list(groups)
    now = timezone.now()
    users = _users_by_slack_id({m for group in groups for m in group.members})
    stored = []
    for data in groups:
        group, _ = SlackUserGroup.objects.update_or_create(
            external_id=data.external_id,
            defaults={
                "handle": data.handle,
                "name": data.name,
                "disabled": data.disabled,
                "refreshed_at": now,
            },
        )
        group.members.set([users[m] for m in data.members])
        stored.append(group)
    SlackUserGroup.objects.exclude(external_id__in=[g.external_id for g in groups]).update(
        disabled=True, refreshed_at=now
    )
    return stored


def _users_by_slack_id(slack_ids: set[str]) -> dict[str, ExternalUser]:
    ExternalUser.objects.bulk_create(
        [ExternalUser(external_id=i) for i in sorted(slack_ids)], ignore_conflicts=True
    )
    return {u.external_id: u for u in ExternalUser.objects.filter(external_id__in=slack_ids)}
