"""The bot scopes the app manifest asks for: exactly those that Response's Slack calls, events and
slash command need, so that installing the app grants nothing unused."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Slack's documented scope for each Web API method Response calls ("" when none is needed). A
# method missing here fails the test below: decide its scope and add it to the manifest too.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "bookmarks.add": ("bookmarks:write",),
    "bookmarks.list": ("bookmarks:read",),
    "chat.getPermalink": (),
    "chat.postEphemeral": ("chat:write",),
    # .public: the headline is posted in the central channel without joining it first.
    "chat.postMessage": ("chat:write", "chat:write.public"),
    "chat.update": ("chat:write",),
    # Comms channels are public, but a private incident's is private: groups:write (SPEC §18).
    "conversations.create": ("channels:manage", "groups:write"),
    # A retried post or DM looks for an earlier attempt; the central channel may be private.
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    # The setup check reads the central channel's membership; that channel may be private.
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.invite": ("channels:manage", "groups:write"),
    # A retried reply under the headline looks for an earlier attempt in the thread.
    "conversations.replies": ("channels:history", "groups:history"),
    "conversations.list": ("channels:read", "groups:read"),  # the central channel may be private
    "conversations.open": ("im:write",),
    "conversations.rename": ("channels:manage", "groups:write"),
    "conversations.setPurpose": ("channels:manage", "groups:write"),
    "conversations.setTopic": ("channels:manage", "groups:write"),
    "reactions.add": ("reactions:write",),
    # Members of the Slack user groups mapped to permissions (SPEC §18).
    "usergroups.list": ("usergroups:read",),
    "usergroups.users.list": ("usergroups:read",),
    "users.info": ("users:read", "users:read.email"),
    "views.open": (),
    "views.push": (),
    "views.update": (),
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "channel_rename": "channels:read",
    "group_rename": "groups:read",
    # A join or a leave in a private incident's channel needs groups:read.
    "member_joined_channel": "channels:read",
    "member_left_channel": "groups:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "pin_added": "pins:read",
    "pin_removed": "pins:read",
}
SLASH_COMMAND_SCOPE = "commands"

PINNED_SCOPES = [
    "app_mentions:read",
    "bookmarks:read",
    "bookmarks:write",
    "channels:history",
    "channels:manage",
    "channels:read",
    "chat:write",
    "chat:write.public",
    "commands",
    "groups:history",
    "groups:read",
    "groups:write",
    "im:history",
    "im:write",
    "pins:read",
    "reactions:write",
    "usergroups:read",
    "users:read",
    "users:read.email",
]

FAMILIES = "|".join(
    [
        "auth",
        "bookmarks",
        "channels",
        "chat",
        "conversations",
        "groups",
        "im",
        "pins",
        "reactions",
        "team",
        "usergroups",
        "users",
        "views",
    ]
)
METHOD_NAME = re.compile(rf"""["'](?P<method>(?:{FAMILIES})\.[a-zA-Z]+(?:\.[a-zA-Z]+)?)["']""")


def _served_manifest(client) -> dict:
    response = client.get("/slack/manifest")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _slack_methods_called() -> set[str]:
    """Every Slack Web API method named in Response's Slack code."""
    found: set[str] = set()
    for path in (ROOT / "slack").rglob("*.py"):
        found |= {m["method"] for m in METHOD_NAME.finditer(path.read_text())}
    return found


def test_the_manifest_asks_for_the_pinned_scopes(client):
    scopes = _served_manifest(client)["oauth_config"]["scopes"]["bot"]

    assert scopes == PINNED_SCOPES


def test_every_scope_asked_for_is_used_and_every_one_used_is_asked_for(client):
    manifest = _served_manifest(client)
    methods = _slack_methods_called()
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert methods, "found no Slack method calls: the pattern above is out of date"
    assert not methods - METHOD_SCOPES.keys(), "add the new methods' scopes to METHOD_SCOPES"

    used = {scope for method in methods for scope in METHOD_SCOPES[method]}
    used |= {EVENT_SCOPES[event] for event in events}
    used.add(SLASH_COMMAND_SCOPE)

    assert set(manifest["oauth_config"]["scopes"]["bot"]) == used


def test_nothing_joins_channels_or_manages_private_ones():
    """Why channels:join and groups:write are not asked for."""
    methods = _slack_methods_called()
    assert "conversations.join" not in methods
    creating = (ROOT / "slack/flows/comms_channel/jobs.py").read_text()
    assert "is_private=True" not in creating
