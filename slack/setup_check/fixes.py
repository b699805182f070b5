"""What to do about each way the Slack app can be set up wrong: the one source of these texts.

``manage.py doctor``, the admin's *Setup check* page and the lookups made when Response first
needs the bot's id or the central channel (``slack/web_api/workspace.py``) all describe a problem
with these words, so a person reads the same fix wherever it shows up. Pages are named as Slack's
app settings (api.slack.com/apps → the app) name them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

OAUTH_PAGE = "the app's 'OAuth & Permissions' page"
BOT_TOKEN = f"the Bot User OAuth Token (xoxb-…) from {OAUTH_PAGE}"
REINSTALL = (
    "reinstall the app to the workspace ('Install App' page → Reinstall), so that Slack grants it"
)

# auth.test's refusals of SLACK_TOKEN, by Slack's error code.
TOKEN_REFUSED = {
    "not_authed": f"SLACK_TOKEN is empty: set it to {BOT_TOKEN}.",
    "invalid_auth": (
        f"SLACK_TOKEN is not a token of this workspace (a typo, or another app's): set it to "
        f"{BOT_TOKEN}."
    ),
    "token_revoked": (
        f"The token was revoked or the app uninstalled: {REINSTALL} a new token, and set "
        f"SLACK_TOKEN to {BOT_TOKEN}."
    ),
    "token_expired": (
        "The token expired (token rotation is on): turn token rotation off on "
        f"{OAUTH_PAGE}, reinstall the app and set SLACK_TOKEN to the new Bot User OAuth Token."
    ),
    "account_inactive": (
        f"The app's bot was deactivated or the app uninstalled: {REINSTALL} a new token, and set "
        f"SLACK_TOKEN to {BOT_TOKEN}."
    ),
    "not_allowed_token_type": f"SLACK_TOKEN is not a bot token: set it to {BOT_TOKEN}.",
}
USER_TOKEN = (
    "SLACK_TOKEN is a user token (xoxp-…): Response would act as that person. Set it to "
    f"{BOT_TOKEN}."
)
APP_TOKEN_AS_BOT_TOKEN = (
    "SLACK_TOKEN is an app-level token (xapp-…), which only opens Socket Mode connections: set "
    f"SLACK_TOKEN to {BOT_TOKEN} (the xapp- token belongs in SLACK_APP_TOKEN)."
)
APP_LEVEL_TOKENS = "'Basic Information' page, under 'App-Level Tokens'"
NEW_APP_TOKEN = (
    f"generate an app-level token with the connections:write scope on the app's "
    f"{APP_LEVEL_TOKENS}, and set SLACK_APP_TOKEN to it (xapp-…)"
)
# apps.connections.open's refusals of SLACK_APP_TOKEN, by Slack's error code.
APP_TOKEN_REFUSED = {
    "not_authed": f"SLACK_APP_TOKEN is empty: {NEW_APP_TOKEN}.",
    "invalid_auth": f"SLACK_APP_TOKEN is not an app-level token of this app: {NEW_APP_TOKEN}.",
    "token_revoked": f"SLACK_APP_TOKEN was revoked: {NEW_APP_TOKEN}.",
    "not_allowed_token_type": (
        f"SLACK_APP_TOKEN is a bot or user token, and Socket Mode takes only an app-level one: "
        f"{NEW_APP_TOKEN}."
    ),
    "missing_scope": (
        f"SLACK_APP_TOKEN lacks connections:write: add that scope to the token on the app's "
        f"{APP_LEVEL_TOKENS}, or generate a new one with it."
    ),
}
SLACK_UNREACHABLE = (
    "Check SLACK_API_BASE_URL (https://slack.com/api/ for real Slack) and this machine's network "
    "or proxy; with `make run` and no SLACK_TOKEN the Slack sandbox must be running."
)


def token_refused(code: str) -> str:
    """The fix for an ``auth.test`` refusal of SLACK_TOKEN."""
    return TOKEN_REFUSED.get(
        code, f"Slack refused SLACK_TOKEN ({code}): set it to {BOT_TOKEN}, reinstalling if need be."
    )


def missing_scopes(scopes: Iterable[str]) -> str:
    names = ", ".join(scopes)
    return (
        f"Add {names} under 'Bot Token Scopes' on {OAUTH_PAGE} (or create the app again from "
        f"{settings.SITE_URL}/slack/manifest), then {REINSTALL} the new scopes; the token stays "
        "the same."
    )


def central_channel_not_found(name: str) -> str:
    return (
        f"No channel named #{name} is visible to the bot (archived ones are not looked at). "
        f"Create it (or unarchive it), invite the bot into it "
        f"(/invite @{settings.INCIDENT_BOT_NAME}) if it is private, or set INCIDENT_CHANNEL_ID."
    )


def central_channel_id_unknown(channel_id: str) -> str:
    return (
        f"INCIDENT_CHANNEL_ID is {channel_id}, which is not a channel the bot can see: copy the id "
        "from the channel's details (at the bottom of 'About'), invite the bot if the channel is "
        f"private (/invite @{settings.INCIDENT_BOT_NAME}), or unset INCIDENT_CHANNEL_ID to look "
        f"#{settings.INCIDENT_CHANNEL_NAME} up by name."
    )


def bot_not_in_channel(name: str) -> str:
    return (
        f"The bot is not a member of #{name}: in Slack, open #{name} and type "
        f"/invite @{settings.INCIDENT_BOT_NAME}."
    )


def app_token_refused(code: str) -> str:
    """The fix for an ``apps.connections.open`` refusal of SLACK_APP_TOKEN."""
    return APP_TOKEN_REFUSED.get(
        code,
        f"Slack refused SLACK_APP_TOKEN ({code}): turn Socket Mode on (the app's 'Socket Mode' "
        f"page), then {NEW_APP_TOKEN}.",
    )
