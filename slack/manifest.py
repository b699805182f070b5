"""The Slack app manifest, filled in from ``SITE_URL`` (SPEC §4, slack-platform.md §7)."""

from __future__ import annotations

from typing import Any

import yaml
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

# Only what Response uses (tests/slack/test_manifest.py maps each Slack call to its scope). Not
# channels:join (nothing calls conversations.join) nor groups:write (comms channels are public).
BOT_SCOPES = [
    "app_mentions:read",  # @incident commands
    "bookmarks:read",  # a retried bookmark looks for the one an earlier attempt added
    "bookmarks:write",  # bookmark the incident document in its channel
    "channels:history",  # comms channel messages; a retried post looks for an earlier attempt
    "channels:manage",  # create, rename, invite, topic and purpose of comms channels
    "channels:read",  # find the central channel; channel_rename
    "chat:write",
    "chat:write.public",  # post the headline without joining the central channel first
    "commands",  # /incident
    "groups:history",  # the same in a private central channel, or a comms channel made private
    "groups:read",  # find a private central channel; group_rename
    "groups:write",  # create and invite into private incidents' channels (SPEC §18)
    "im:history",  # before a retried DM, look for the one an earlier attempt may have sent
    "im:write",  # DM the lead when an incident closes
    "pins:read",  # pinned messages become the timeline
    "reactions:write",  # ✅ / ❓ on commands
    "usergroups:read",  # members of the Slack user groups mapped to permissions (SPEC §18)
    "users:read",  # names of the people in an incident
    "users:read.email",
]

BOT_EVENTS = [
    "app_mention",
    "channel_rename",
    "group_rename",
    "member_joined_channel",
    "member_left_channel",  # who may see a private incident follows its channel's members
    "message.channels",
    "message.groups",
    "pin_added",
    "pin_removed",
]


def build_manifest(site_url: str, bot_name: str, transport: str = "http") -> dict[str, Any]:
    """The manifest for ``transport`` (``SLACK_TRANSPORT``). Over Socket Mode Slack needs no
    address of Response's, so the request URLs are left out: a laptop's ``SITE_URL`` is not
    reachable from Slack, and a manifest naming it would fail Slack's URL verification."""
    base = site_url.rstrip("/")
    socket_mode = transport == "socket"
    manifest: dict[str, Any] = {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "Response",
            "description": "Declare, coordinate and close incidents from Slack",
            "background_color": "#b22222",
        },
        "features": {
            "bot_user": {"display_name": bot_name, "always_online": True},
            "slash_commands": [
                {
                    "command": "/incident",
                    "url": f"{base}/slack/slash_command",
                    "description": "Report an incident",
                    "usage_hint": "[what is going wrong] | help",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": {
                "request_url": f"{base}/slack/event",
                "bot_events": BOT_EVENTS,
            },
            "interactivity": {"is_enabled": True, "request_url": f"{base}/slack/action"},
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
    if socket_mode:
        _leave_out_request_urls(manifest)
    return manifest


def _leave_out_request_urls(manifest: dict[str, Any]) -> None:
    for command in manifest["features"]["slash_commands"]:
        del command["url"]
    del manifest["settings"]["event_subscriptions"]["request_url"]
    del manifest["settings"]["interactivity"]["request_url"]


@require_GET
def manifest_view(request: HttpRequest) -> HttpResponse:
    manifest = build_manifest(
        settings.SITE_URL, settings.INCIDENT_BOT_NAME, settings.SLACK_TRANSPORT
    )
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")
