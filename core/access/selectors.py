"""Who holds each named permission (SPEC §18), for the admin: groups, people, Slack user groups."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission as AuthPermission
from django.db.models import Prefetch

from core.access.permissions import Permission
from core.models import SlackUserGroup

NAMES = [permission.value for permission in Permission]


@dataclass(frozen=True)
class Holders:
    permission: str
    description: str
    groups: list[Group]
    people: list  # the auth user model's rows
    slack_user_groups: list[SlackUserGroup]


def permission_holders() -> list[Holders]:
    """One row per named permission, in SPEC order; a fixed number of queries.

    People hold a permission through a group, directly, or as superusers (who hold them all);
    inactive people hold nothing. Disabled Slack user groups grant nothing and are left out.
    """
    User = get_user_model()
    active = User.objects.filter(is_active=True).order_by(User.USERNAME_FIELD)
    groups = Group.objects.order_by("name").prefetch_related(
        Prefetch("user_set", queryset=active),
        Prefetch(
            "slack_user_groups",
            queryset=SlackUserGroup.objects.filter(disabled=False).order_by("handle"),
        ),
    )
    rows = AuthPermission.objects.filter(
        content_type__app_label="core", codename__in=NAMES
    ).prefetch_related(Prefetch("group_set", queryset=groups), Prefetch("user_set", active))
    found = {row.codename: row for row in rows}
    superusers = list(active.filter(is_superuser=True))
    return [_holders(found[name], superusers) for name in NAMES if name in found]


def _holders(row: AuthPermission, superusers: list) -> Holders:
    groups = list(row.group_set.all())
    people = {p.pk: p for p in superusers}
    people.update({p.pk: p for p in row.user_set.all()})
    people.update({p.pk: p for group in groups for p in group.user_set.all()})
    return Holders(
        permission=row.codename,
        description=row.name,
        groups=groups,
        people=sorted(people.values(), key=lambda p: p.get_username()),
        slack_user_groups=[s for group in groups for s in group.slack_user_groups.all()],
    )
