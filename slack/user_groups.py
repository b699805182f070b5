"""Slack user groups, read from Slack so their mapped Django groups grant permissions (SPEC §18).

Every ten minutes (a periodic job), and on demand from the admin, ``usergroups.list`` and one
``usergroups.users.list`` per enabled group are read through the one Web API client and stored
in one transaction (``core.services.slack_user_groups_store``). A workspace whose plan has no
user groups, or an app installed without ``usergroups:read``, keeps what it had and says so once.
"""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from core import services
from core.models import SlackUserGroup
from slack.delivery.jobs import job
from slack.web_api.client import get_slack_client
from slack.web_api.errors import SlackError

logger = logging.getLogger(__name__)

# What Slack answers where user groups cannot be read: nothing to retry.
UNAVAILABLE = {
    "plan_upgrade_required",
    "paid_teams_only",
    "missing_scope",
    "not_allowed_token_type",
}


def schedule_refresh() -> bool:
    """Ask the worker to refresh the user groups soon; False when a refresh is already queued."""
    try:
        refresh_user_groups.configure(queueing_lock="refresh-user-groups").defer(timestamp=0)
    except AlreadyEnqueued:
        return False
    return True


@app.periodic(cron="*/10 * * * *", periodic_id="refresh-slack-user-groups")
# Not retried: the next run, ten minutes on, reads everything again. Retries would only pile up
# behind a Slack that cannot be reached, and keep the queue busy meanwhile.
@job("slack.refresh_user_groups", retry=False)
def refresh_user_groups(timestamp: int) -> list[SlackUserGroup]:
    """Read every user group and the members of the enabled ones; store them."""
    client = get_slack_client()
    try:
        listed = client.list_user_groups()
        groups = [
            services.SlackUserGroupData(
                external_id=str(group["id"]),
                handle=str(group.get("handle") or ""),
                name=str(group.get("name") or ""),
                disabled=bool(group.get("date_delete")),
                members=()
                if group.get("date_delete")
                else tuple(client.user_group_members(usergroup=str(group["id"]))),
            )
            for group in listed
        ]
    except SlackError as error:
        if error.code not in UNAVAILABLE:
            raise
        logger.warning("Slack user groups cannot be read here (%s): kept as they were", error.code)
        return []
    return services.slack_user_groups_store(groups=groups)
