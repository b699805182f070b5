"""Slack users as Response knows them: cached ``ExternalUser`` rows refreshed from users.info."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from procrastinate.exceptions import AlreadyEnqueued

from core import services
from core.models import ExternalUser
from slack.delivery.jobs import job
from slack.web_api.client import get_slack_client
from slack.web_api.errors import UserNotFound

logger = logging.getLogger(__name__)

# A cached profile older than this is refreshed the next time the user shows up.
STALE_AFTER = dt.timedelta(days=1)


def user_for(external_id: str) -> ExternalUser:
    """The user with this Slack id, created at once; its profile is fetched in the background."""
    user = services.external_user_get_or_create(external_id=external_id)
    if user.refreshed_at is None or timezone.now() - user.refreshed_at > STALE_AFTER:
        _schedule_refresh(external_id)
    return user


def _schedule_refresh(external_id: str) -> None:
    try:
        # A savepoint: the unique violation of a refresh already queued must not abort the
        # caller's transaction.
        with transaction.atomic():
            refresh_user.configure(queueing_lock=f"refresh-user-{external_id}").defer(
                external_id=external_id
            )
    except AlreadyEnqueued:
        pass


@job("slack.refresh_user")
def refresh_user(external_id: str) -> None:
    look_up_user(external_id)


def look_up_user(external_id: str) -> ExternalUser | None:
    """Ask Slack (users.info) who this is, and cache the answer, time zone included.

    Returns the refreshed user, or None when the workspace has no such person: Slack does not
    know the id (``user_not_found``) or the account is deactivated. Calls Slack: never from an
    atomic handler (see ``slack.registry``); defer a job that calls this instead.
    """
    try:
        profile_user = get_slack_client().user_info(user=external_id)["user"]
    except UserNotFound:
        logger.info("Slack knows no user %s", external_id)
        return None
    user = _store(external_id, profile_user)
    return None if user.deleted else user


def _store(external_id: str, profile_user: dict[str, Any]) -> ExternalUser:
    profile = profile_user.get("profile") or {}
    return services.external_user_upsert(
        external_id=external_id,
        display_name=profile.get("display_name_normalized")
        or profile.get("display_name")
        or profile_user.get("name", ""),
        full_name=profile.get("real_name_normalized") or profile.get("real_name", ""),
        email=profile.get("email", ""),
        deleted=bool(profile_user.get("deleted")),
        refreshed_at=timezone.now(),
        time_zone=str(profile_user.get("tz") or ""),
    )
