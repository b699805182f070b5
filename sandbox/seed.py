"""Who and what a fresh sandbox workspace has: the team, four people, the bot, two channels."""

from __future__ import annotations

import time
from typing import Any

JsonDict = dict[str, Any]

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "response-sandbox"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0RESPONSE"
INCIDENTS_CHANNEL_ID = "C0INCIDENTS"
GENERAL_CHANNEL_ID = "C0GENERAL"
SEED_PEOPLE = (
    ("U0ALICE", "alice", "Alice Adams", "Europe/London", "Greenwich Mean Time", 0),
    ("U0BOB", "bob", "Bob Brown", "America/New_York", "Eastern Standard Time", -18000),
    ("U0CAROL", "carol", "Carol Chen", "Asia/Singapore", "Singapore Standard Time", 28800),
    ("U0DAVE", "dave", "Dave Diaz", "America/Los_Angeles", "Pacific Standard Time", -28800),
)


def person(uid: str, name: str, real_name: str, tz: str, tz_label: str, offset: int) -> JsonDict:
    first = real_name.split()[0]
    return {
        "id": uid,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": False,
        "real_name": real_name,
        "tz": tz,
        "tz_label": tz_label,
        "tz_offset": offset,
        "is_admin": name == "alice",
        "is_owner": name == "alice",
        "is_bot": False,
        "is_app_user": False,
        "updated": 1700000000,
        "profile": {
            "real_name": real_name,
            "display_name": first.lower(),
            "email": f"{name}@{TEAM_DOMAIN}.example",
            "first_name": first,
            "image_48": "",
            "status_text": "",
            "status_emoji": "",
            "team": TEAM_ID,
        },
    }


def bot_user(bot_name: str) -> JsonDict:
    return {
        "id": BOT_USER_ID,
        "team_id": TEAM_ID,
        "name": bot_name,
        "deleted": False,
        "real_name": bot_name,
        "tz": "UTC",
        "tz_label": "Coordinated Universal Time",
        "tz_offset": 0,
        "is_admin": False,
        "is_owner": False,
        "is_bot": True,
        "is_app_user": False,
        "updated": 1700000000,
        "profile": {
            "real_name": bot_name,
            "display_name": bot_name,
            "bot_id": BOT_ID,
            "api_app_id": APP_ID,
            "always_active": True,
            "team": TEAM_ID,
        },
    }


def new_channel(
    channel_id: str, name: str, creator: str, *, is_private: bool = False, created: int = 0
) -> JsonDict:
    created = created or int(time.time())
    return {
        "id": channel_id,
        "name": name,
        "name_normalized": name,
        "is_channel": not is_private,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": is_private,
        "is_archived": False,
        "is_general": name == "general",
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "created": created,
        "creator": creator,
        "unlinked": 0,
        "members": [],
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
        "bookmarks": [],
        "context_team_id": TEAM_ID,
    }
