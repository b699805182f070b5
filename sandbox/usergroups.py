"""Slack user groups (``@oncall``) in the sandbox: the Web API's ``usergroups.*`` and a control
to set them up.

As slack-platform.md describes: ``usergroups.list`` (``include_users``, ``include_count``,
``include_disabled``), ``usergroups.users.list(usergroup)``, ``usergroups.users.update`` (which
**replaces** the member list) and ``usergroups.create``. On a free plan they all fail with
``plan_upgrade_required``: ``POST /sandbox/plan {"paid": false}`` turns them off.

``POST /sandbox/usergroups {"handle", "name"?, "users"?: [...], "disabled"?}`` creates a group
(or replaces the one with that handle) and answers it, id ``S…`` included.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from sandbox.errors import SlackError
from sandbox.seed import TEAM_ID, JsonDict
from sandbox.state import Workspace
from sandbox.webapi import flag, id_list, method, required


def _groups(ws: Workspace) -> dict[str, JsonDict]:
    return ws.usergroups


def _paid(ws: Workspace) -> None:
    if not ws.paid_plan:
        raise SlackError("plan_upgrade_required")


def _group(ws: Workspace, usergroup_id: str) -> JsonDict:
    found = _groups(ws).get(usergroup_id)
    if found is None:
        raise SlackError("no_such_subteam")
    return found


def _known_users(ws: Workspace, users: list[str]) -> list[str]:
    for user_id in users:
        ws.user(user_id)  # raises user_not_found, as Slack does for an unknown member
    return list(dict.fromkeys(users))


def create(ws: Workspace, name: str, handle: str, users: list[str], disabled: bool) -> JsonDict:
    with ws.lock:
        members = _known_users(ws, users)
        existing = next((g for g in _groups(ws).values() if g["handle"] == handle), None)
        group = existing or {
            "id": ws.new_id("S"),
            "team_id": TEAM_ID,
            "date_create": int(time.time()),
            "description": "",
            "prefs": {"channels": [], "groups": []},
        }
        group.update(
            name=name or handle,
            handle=handle,
            users=members,
            user_count=len(members),
            date_delete=int(time.time()) if disabled else 0,
        )
        _groups(ws)[group["id"]] = group
        ws.touch()
        return copy.deepcopy(group)


def _shown(group: JsonDict, *, include_users: bool, include_count: bool) -> JsonDict:
    shown = copy.deepcopy(group)
    if not include_users:
        shown.pop("users", None)
    if not include_count:
        shown.pop("user_count", None)
    return shown


@method("usergroups.list")
def usergroups_list(ws: Workspace, params: JsonDict) -> JsonDict:
    _paid(ws)
    include_disabled = flag(params, "include_disabled")
    with ws.lock:
        groups = [
            _shown(
                group,
                include_users=flag(params, "include_users"),
                include_count=flag(params, "include_count"),
            )
            for group in _groups(ws).values()
            if include_disabled or not group["date_delete"]
        ]
    return {"usergroups": groups}


@method("usergroups.users.list")
def usergroups_users_list(ws: Workspace, params: JsonDict) -> JsonDict:
    _paid(ws)
    with ws.lock:
        group = _group(ws, str(required(params, "usergroup")))
        if group["date_delete"] and not flag(params, "include_disabled"):
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}


@method("usergroups.users.update")
def usergroups_users_update(ws: Workspace, params: JsonDict) -> JsonDict:
    _paid(ws)
    with ws.lock:
        group = _group(ws, str(required(params, "usergroup")))
        users = _known_users(ws, id_list(params, "users"))
        if not users:
            raise SlackError("invalid_users")
        group["users"], group["user_count"] = users, len(users)
        ws.touch()
        return {"usergroup": copy.deepcopy(group)}


@method("usergroups.create")
def usergroups_create(ws: Workspace, params: JsonDict) -> JsonDict:
    _paid(ws)
    name = str(required(params, "name"))
    handle = str(params.get("handle") or name.lower().replace(" ", "-"))
    if any(g["handle"] == handle for g in _groups(ws).values()):
        raise SlackError("name_already_exists")
    return {"usergroup": create(ws, name, handle, [], disabled=False)}


def seed(ws: Workspace, body: dict[str, Any]) -> JsonDict:
    """The control: ``POST /sandbox/usergroups``."""
    handle = str(body.get("handle") or "").strip()
    if not handle:
        raise SlackError("invalid_arguments", detail="a user group needs a handle")
    users = [str(u) for u in body.get("users") or []]
    return create(ws, str(body.get("name") or ""), handle, users, bool(body.get("disabled")))


def set_plan(ws: Workspace, body: dict[str, Any]) -> JsonDict:
    """The control: ``POST /sandbox/plan {"paid": false}`` makes ``usergroups.*`` unavailable."""
    with ws.lock:
        ws.paid_plan = bool(body.get("paid", True))
        ws.touch()
    return {"paid": ws.paid_plan}
