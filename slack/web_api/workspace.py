"""Facts about the workspace Response runs in: the bot's own user id and the central channel's
id, each asked of Slack once per token and base URL and then cached (SPEC §3). When Slack will
not say, the error names the token, scope or channel to fix."""

from __future__ import annotations

import threading

from django.conf import settings

from slack.setup_check import fixes
from slack.web_api.client import get_slack_client, reset_clients
from slack.web_api.errors import ChannelNotFound, MissingScope, SlackAuthError, SlackError

_bot_user_ids: dict[tuple[str, str], str] = {}
_central_channel_ids: dict[tuple[str, str, str], str] = {}
# Held while resolving, so concurrent first uses make one call rather than one each; cached
# values are read without it.
_resolve_lock = threading.Lock()


def _describe_token(token: str) -> str:
    """Enough of the token to tell which one is configured, not enough to use it."""
    if len(token) <= 12:
        return f"{token[:5]}…"
    return f"{token[:5]}…{token[-4:]}"


def bot_user_id() -> str:
    """The bot's own user id (``auth.test``), asked once per token and base URL."""
    key = (settings.SLACK_TOKEN, settings.SLACK_API_BASE_URL)
    if key in _bot_user_ids:
        return _bot_user_ids[key]
    with _resolve_lock:
        if key not in _bot_user_ids:
            try:
                data = get_slack_client().auth_test()
            except SlackError as error:
                # The same fix the setup check (manage.py doctor) gives for this refusal.
                fix = (
                    fixes.token_refused(error.code)
                    if isinstance(error, SlackAuthError)
                    else error.message
                )
                raise error.with_message(
                    f"Could not learn the bot's user id with auth.test using SLACK_TOKEN "
                    f"({_describe_token(key[0])}) against {key[1]}: {fix}"
                ) from error
            _bot_user_ids[key] = str(data["user_id"])
        return _bot_user_ids[key]


def central_channel_id() -> str:
    """The id of the central channel: ``INCIDENT_CHANNEL_ID``, or looked up by name once."""
    if settings.INCIDENT_CHANNEL_ID:
        return settings.INCIDENT_CHANNEL_ID
    name = settings.INCIDENT_CHANNEL_NAME.lstrip("#")
    key = (settings.SLACK_TOKEN, settings.SLACK_API_BASE_URL, name)
    if key in _central_channel_ids:
        return _central_channel_ids[key]
    with _resolve_lock:
        if key not in _central_channel_ids:
            _central_channel_ids[key] = _find_channel(name)
        return _central_channel_ids[key]


def find_central_channel() -> str:
    """The central channel's id as Slack says it now, bypassing the cache (the setup check)."""
    return settings.INCIDENT_CHANNEL_ID or _find_channel(settings.INCIDENT_CHANNEL_NAME.lstrip("#"))


def _find_channel(name: str) -> str:
    try:
        for channel in get_slack_client().iter_conversations():
            if channel.get("name") == name:
                return str(channel["id"])
    except MissingScope as error:
        raise error.with_message(
            f"Could not list channels to find #{name}: {error.message}; "
            "or set INCIDENT_CHANNEL_ID to skip the lookup"
        ) from error
    raise ChannelNotFound(fixes.central_channel_not_found(name), method="conversations.list")


def reset_caches() -> None:
    """Forget clients, the bot's id and the channel id (tests change settings between runs)."""
    reset_clients()
    with _resolve_lock:
        _bot_user_ids.clear()
        _central_channel_ids.clear()
