"""The named permissions of SPEC §18 and the one check every surface goes through.

``ACCESS_POLICY=open`` (the default): everyone may do everything. ``restricted``: only what is
granted, to the Django groups of the acting person (or of the Slack user's linked login, or of a
Slack user group mapped to a Django group). The system itself (sweeps, cron) is never refused.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.contrib.auth.models import Permission as AuthPermission
from django.db.models import Q

from core.access.acting import Acting, current
from core.exceptions import ApplicationError


class Permission(StrEnum):
    DECLARE_PRIVATE = "declare_private"
    CHANGE_SEVERITY = "change_severity"
    RESOLVE = "resolve"
    PAGE = "page"
    STATUSPAGE = "statuspage"
    PUBLISH_POSTMORTEM = "publish_postmortem"
    CONFIGURE = "configure"


class PermissionRefused(ApplicationError):
    """The actor lacks ``permission``; the message names it and is safe to show."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(
            f"You need the `{permission}` permission to do that. Ask an administrator of "
            "Response to grant it to one of your groups."
        )
        self.permission = permission


def allowed(acting: Acting, permission: Permission) -> bool:
    """Whether ``acting`` may do what ``permission`` names, under ``ACCESS_POLICY``."""
    if acting.is_system:
        return True
    if settings.ACCESS_POLICY == "open":
        return True
    return granted(acting, permission)


def require(permission: Permission, acting: Acting | None = None) -> None:
    """Raise ``PermissionRefused`` unless the actor (by default, the current one) may."""
    if not allowed(acting or current(), permission):
        raise PermissionRefused(permission)


def granted(acting: Acting, permission: Permission) -> bool:
    """Whether ``permission`` is granted to ``acting``, whatever ``ACCESS_POLICY`` says: to the
    person (directly, through their groups, or as a superuser), or to a Slack user group the
    Slack user is in that is mapped to a group holding it. One query, whatever the number of
    groups: the rules of Django's model backend, plus the user groups."""
    person = acting.person
    if person is None and acting.slack_user is not None:
        person = acting.slack_user.owner
    if person is not None and not person.is_active:
        person = None  # a deactivated login grants nothing
    if person is not None and person.is_superuser:
        return True
    holders = Q()
    if person is not None:
        holders |= Q(user=person) | Q(group__user=person)
    if acting.slack_user is not None and not acting.slack_user.deleted:
        holders |= Q(
            group__slack_user_groups__members=acting.slack_user.pk,
            group__slack_user_groups__disabled=False,
        )
    if not holders:
        return False
    return AuthPermission.objects.filter(
        holders, content_type__app_label="core", codename=permission
    ).exists()
