"""The Web API methods, answered from the workspace as Slack answers them (slack-platform.md §5).

Each method takes the request's parameters (already decoded from a form, JSON or query string)
and returns the success body, or raises ``SlackError`` with Slack's own error code. Calls are made
by the bot: the only token the sandbox issues.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import time
from collections.abc import Callable
from typing import Any

from sandbox.errors import SlackError
from sandbox.seed import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, JsonDict
from sandbox.state import Workspace

Method = Callable[[Workspace, JsonDict], JsonDict]
METHODS: dict[str, Method] = {}
BOT = BOT_USER_ID


def method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name] = func
        return func

    return register


# --- Parameters ----------------------------------------------------------------------------------


def required(params: JsonDict, name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
        )
    return value


def flag(params: JsonDict, name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


def json_field(params: JsonDict, name: str) -> Any:
    """``blocks``, ``view``, ``metadata``: a JSON-encoded string (form bodies) or the value."""
    value = params.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError as error:
            code = "invalid_blocks_format" if name == "blocks" else "invalid_arguments"
            raise SlackError(code, response_metadata={"messages": [f"[ERROR] {error}"]}) from None
    return value


def id_list(params: JsonDict, name: str) -> list[str]:
    value = params.get(name) or []
    if isinstance(value, str):
        value = value.split(",")
    return [str(item).strip() for item in value if str(item).strip()]


def paginate(items: list[Any], params: JsonDict, default_limit: int) -> tuple[list[Any], str]:
    """One page of ``items`` and the cursor of the next (``""`` on the last page)."""
    try:
        limit = int(params.get("limit") or default_limit) or len(items) or 1
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    if limit < 1 or limit > 1000:
        raise SlackError("invalid_limit")
    start = 0
    cursor = params.get("cursor")
    if cursor:
        try:
            kind, _, offset = base64.b64decode(str(cursor)).decode().partition(":")
            start = int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise SlackError("invalid_cursor") from None
        if kind != "next" or start < 0:
            raise SlackError("invalid_cursor")
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
    return page, next_cursor


def _member_channel(ws: Workspace, params: JsonDict, name: str = "channel") -> JsonDict:
    channel = ws.channel(str(required(params, name)))
    if BOT not in channel["members"]:
        raise SlackError("not_in_channel")
    if channel["is_archived"]:
        raise SlackError("is_archived")
    return channel


def _writable_channel(ws: Workspace, channel_id: str) -> JsonDict:
    """Where the bot may post: a member's channel, any public one (``chat:write.public``), or a
    DM when given a person's id. Like Slack, it takes a channel's name (``#incidents``) too."""
    if channel_id.startswith(("U", "W")) and channel_id in ws.users:
        return ws.open_dm([BOT, channel_id])
    named = ws.channel_named(channel_id.lstrip("#")) if channel_id not in ws.channels else None
    channel = ws.channel(named["id"] if named else channel_id)
    if channel["is_archived"]:
        raise SlackError("is_archived")
    if BOT not in channel["members"] and (channel["is_private"] or not ws.public_posting):
        raise SlackError("not_in_channel")
    return channel


def _text_and_blocks(params: JsonDict) -> tuple[str, list[JsonDict] | None]:
    text = str(params.get("text") or "")
    blocks = json_field(params, "blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if not text and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    if len(text) > 40_000:
        raise SlackError("msg_too_long")
    if blocks and len(blocks) > 50:
        raise SlackError("invalid_blocks", errors=["must provide an array with at most 50 items"])
    return text, blocks


# --- auth, users ---------------------------------------------------------------------------------


@method("auth.test")
def auth_test(ws: Workspace, params: JsonDict) -> JsonDict:
    return {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": ws.team["name"],
        "user": ws.bot_name,
        "team_id": TEAM_ID,
        "user_id": BOT,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "is_enterprise_install": False,
    }


@method("users.info")
def users_info(ws: Workspace, params: JsonDict) -> JsonDict:
    return {"user": copy.deepcopy(ws.user(str(required(params, "user"))))}


@method("users.list")
def users_list(ws: Workspace, params: JsonDict) -> JsonDict:
    people = [copy.deepcopy(u) for u in ws.users.values()]
    page, cursor = paginate(people, params, default_limit=0)
    return {"members": page, "cache_ts": int(time.time()), "response_metadata": _next(cursor)}


@method("users.lookupByEmail")
def users_lookup_by_email(ws: Workspace, params: JsonDict) -> JsonDict:
    email = str(required(params, "email")).lower()
    for user in ws.users.values():
        if (user["profile"].get("email") or "").lower() == email:
            return {"user": copy.deepcopy(user)}
    raise SlackError("users_not_found")


# --- chat ----------------------------------------------------------------------------------------


@method("chat.postMessage")
def chat_post_message(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = _writable_channel(ws, str(required(params, "channel")))
        text, blocks = _text_and_blocks(params)
        metadata = json_field(params, "metadata")
        message = ws.post(
            channel,
            BOT,
            text,
            blocks=blocks,
            thread_ts=str(params.get("thread_ts") or "") or None,
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        return {"channel": channel["id"], "ts": message["ts"], "message": _public(message)}


@method("chat.update")
def chat_update(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel")))
        ts = str(required(params, "ts"))
        if ws.ephemeral(channel["id"], ts):
            raise SlackError("cant_update_message")
        blocks = json_field(params, "blocks")
        text = params.get("text")
        if text is None and blocks is None:
            raise SlackError("no_text")
        message = ws.update(channel, ts, by=BOT, text=text, blocks=blocks)
        return {
            "channel": channel["id"],
            "ts": ts,
            "text": message.get("text", ""),
            "message": _public(message),
        }


@method("chat.delete")
def chat_delete(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel")))
        ts = str(required(params, "ts"))
        if ws.message(channel["id"], ts).get("user") != BOT:
            raise SlackError("cant_delete_message")
        ws.delete(channel, ts)
        return {"channel": channel["id"], "ts": ts}


@method("chat.postEphemeral")
def chat_post_ephemeral(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = _writable_channel(ws, str(required(params, "channel")))
        user = str(required(params, "user"))
        ws.user(user)
        if user not in channel["members"]:
            raise SlackError("user_not_in_channel")
        text, blocks = _text_and_blocks(params)
        message = ws.post_ephemeral(
            channel["id"],
            user,
            text,
            blocks=blocks,
            thread_ts=str(params.get("thread_ts") or "") or None,
        )
        return {"message_ts": message["ts"]}


@method("chat.getPermalink")
def chat_get_permalink(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel")))
        message = ws.message(channel["id"], str(required(params, "message_ts")))
        return {"channel": channel["id"], "permalink": ws.permalink(channel["id"], message)}


# --- views ---------------------------------------------------------------------------------------


def _view_param(params: JsonDict) -> JsonDict:
    view = json_field(params, "view")
    if not isinstance(view, dict):
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    return view


@method("views.open")
def views_open(ws: Workspace, params: JsonDict) -> JsonDict:
    view = _view_param(params)
    with ws.lock:
        user = ws.redeem_trigger(str(params.get("trigger_id") or ""))
        entry = ws.open_view(user, view)
        return {"view": copy.deepcopy(entry["view"])}


@method("views.push")
def views_push(ws: Workspace, params: JsonDict) -> JsonDict:
    view = _view_param(params)
    with ws.lock:
        user = ws.redeem_trigger(str(params.get("trigger_id") or ""))
        if not ws.stack(user):
            raise SlackError("not_found")
        entry = ws.open_view(user, view, push=True)
        return {"view": copy.deepcopy(entry["view"])}


@method("views.update")
def views_update(ws: Workspace, params: JsonDict) -> JsonDict:
    view = _view_param(params)
    with ws.lock:
        view_id = str(params.get("view_id") or "")
        external_id = str(params.get("external_id") or "")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] either view_id or external_id needed"]},
            )
        entry = ws.find_view(view_id or None, external_id or None)
        ws.update_view(entry, view, hash=str(params.get("hash") or "") or None)
        return {"view": copy.deepcopy(entry["view"])}


# --- conversations -------------------------------------------------------------------------------


@method("conversations.create")
def conversations_create(ws: Workspace, params: JsonDict) -> JsonDict:
    name = str(params.get("name") or "")
    channel = ws.create_channel(name, creator=BOT, is_private=flag(params, "is_private"))
    return {"channel": ws.channel_view(channel)}


@method("conversations.invite")
def conversations_invite(ws: Workspace, params: JsonDict) -> JsonDict:
    users = id_list(params, "users")
    if not users:
        raise SlackError("no_user")
    with ws.lock:
        channel = _member_channel(ws, params)
        errors = []
        for user in users:
            if user == BOT:
                errors.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user not in ws.users:
                errors.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user in channel["members"]:
                errors.append({"user": user, "ok": False, "error": "already_in_channel"})
        force = flag(params, "force")
        if errors and not force:
            # Slack invites nobody when one of them fails, unless told to force.
            return {
                "ok": False,
                "error": errors[0]["error"],
                "errors": errors,
                "channel": ws.channel_view(channel),
            }
        failed = {e["user"] for e in errors}
        for user in users:
            if user not in failed:
                ws.join(channel, user, inviter=BOT)
        answer: JsonDict = {"channel": ws.channel_view(channel)}
        if errors:
            answer["errors"] = errors
        return answer


@method("conversations.kick")
def conversations_kick(ws: Workspace, params: JsonDict) -> JsonDict:
    user = str(required(params, "user"))
    with ws.lock:
        channel = _member_channel(ws, params)
        if user == BOT:
            raise SlackError("cant_kick_self")
        ws.leave(channel, user)
    return {}


@method("conversations.join")
def conversations_join(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel")))
        if channel["is_private"] or channel["is_im"]:
            raise SlackError("method_not_supported_for_channel_type")
        if channel["is_archived"]:
            raise SlackError("is_archived")
        if BOT in channel["members"]:
            return {
                "channel": ws.channel_view(channel),
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        ws.join(channel, BOT)
        return {"channel": ws.channel_view(channel)}


def _set_field(field: str) -> Method:
    def set_it(ws: Workspace, params: JsonDict) -> JsonDict:
        with ws.lock:
            channel = _member_channel(ws, params)
            ws.set_topic(channel, field, str(params.get(field) or ""), by=BOT)
            return {"channel": ws.channel_view(channel)}

    return set_it


METHODS["conversations.setTopic"] = _set_field("topic")
METHODS["conversations.setPurpose"] = _set_field("purpose")


@method("conversations.rename")
def conversations_rename(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = _member_channel(ws, params)
        if channel["creator"] != BOT:
            raise SlackError("not_authorized")
        ws.rename(channel, str(params.get("name") or ""), by=BOT)
        return {"channel": ws.channel_view(channel)}


@method("conversations.archive")
def conversations_archive(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel")))
        if channel["is_archived"]:
            raise SlackError("already_archived")
        if channel["is_general"]:
            raise SlackError("cant_archive_general")
        if BOT not in channel["members"]:
            raise SlackError("not_in_channel")
        channel["is_archived"] = True
        ws.touch()
        return {}


@method("conversations.open")
def conversations_open(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        if params.get("channel"):
            channel = ws.channel(str(params["channel"]))
        else:
            users = id_list(params, "users")
            if not users:
                raise SlackError("users_list_not_supplied")
            for user in users:
                if user not in ws.users:
                    raise SlackError("user_not_found")
            channel = ws.open_dm([BOT, *users])
        if flag(params, "return_im"):
            return {"channel": ws.channel_view(channel)}
        return {"channel": {"id": channel["id"]}}


TYPE_NAMES = ("public_channel", "private_channel", "mpim", "im")


@method("conversations.list")
def conversations_list(ws: Workspace, params: JsonDict) -> JsonDict:
    types = id_list(params, "types") or ["public_channel"]
    if any(kind not in TYPE_NAMES for kind in types):
        raise SlackError("invalid_types")
    exclude_archived = flag(params, "exclude_archived")
    with ws.lock:
        visible = []
        for channel in ws.channels.values():
            kind = (
                "im"
                if channel["is_im"]
                else "private_channel"
                if channel["is_private"]
                else "public_channel"
            )
            if kind not in types or (exclude_archived and channel["is_archived"]):
                continue
            if kind != "public_channel" and BOT not in channel["members"]:
                continue
            visible.append(ws.channel_view(channel))
    page, cursor = paginate(visible, params, default_limit=100)
    return {"channels": page, "response_metadata": _next(cursor)}


@method("conversations.info")
def conversations_info(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        return {"channel": ws.channel_view(ws.channel(str(required(params, "channel"))))}


@method("conversations.members")
def conversations_members(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        members = list(ws.channel(str(required(params, "channel")))["members"])
    page, cursor = paginate(members, params, default_limit=100)
    return {"members": page, "response_metadata": _next(cursor)}


def _readable(ws: Workspace, params: JsonDict) -> JsonDict:
    channel = ws.channel(str(required(params, "channel")))
    if BOT not in channel["members"]:
        raise SlackError("not_in_channel")
    return channel


def _in_range(message: JsonDict, params: JsonDict) -> bool:
    inclusive = flag(params, "inclusive")
    ts = float(message["ts"])
    for name, before in (("oldest", False), ("latest", True)):
        raw = params.get(name)
        if raw in (None, ""):
            continue
        try:
            bound = float(raw)
        except (TypeError, ValueError):
            raise SlackError(f"invalid_ts_{name}") from None
        if before and (ts > bound or (ts == bound and not inclusive)):
            return False
        if not before and (ts < bound or (ts == bound and not inclusive)):
            return False
    return True


@method("conversations.history")
def conversations_history(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = _readable(ws, params)
        with_metadata = flag(params, "include_all_metadata")
        found = [
            _public(m, with_metadata=with_metadata)
            for m in reversed(ws.messages.get(channel["id"], []))
            if (not m.get("thread_ts") or m["thread_ts"] == m["ts"]) and _in_range(m, params)
        ]
        pins = len(ws.pins(channel["id"]))
    page, cursor = paginate(found, params, default_limit=100)
    return {
        "messages": page,
        "has_more": bool(cursor),
        "pin_count": pins,
        "response_metadata": _next(cursor),
    }


@method("conversations.replies")
def conversations_replies(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = _readable(ws, params)
        parent = ws.message(channel["id"], str(required(params, "ts")))
        root = parent.get("thread_ts") or parent["ts"]
        found = [
            _public(m, with_metadata=flag(params, "include_all_metadata"))
            for m in ws.messages.get(channel["id"], [])
            if (m["ts"] == root or m.get("thread_ts") == root) and _in_range(m, params)
        ]
    page, cursor = paginate(found, params, default_limit=100)
    return {"messages": page, "has_more": bool(cursor), "response_metadata": _next(cursor)}


# --- bookmarks, reactions, pins ------------------------------------------------------------------


@method("bookmarks.add")
def bookmarks_add(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel_id")))
        if params.get("type", "link") != "link":
            raise SlackError("invalid_bookmark_type")
        title = str(required(params, "title"))
        bookmark = ws.add_bookmark(channel, title=title, link=str(params.get("link") or ""), by=BOT)
        return {"bookmark": copy.deepcopy(bookmark)}


@method("bookmarks.list")
def bookmarks_list(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel_id")))
        return {"bookmarks": copy.deepcopy(channel["bookmarks"])}


def _message_target(ws: Workspace, params: JsonDict) -> tuple[JsonDict, str]:
    channel = ws.channel(str(params.get("channel") or ""))
    ts = str(params.get("timestamp") or "")
    if not ts:
        raise SlackError("no_item_specified")
    return channel, ts


@method("reactions.add")
def reactions_add(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel, ts = _message_target(ws, params)
        if channel["is_archived"]:
            raise SlackError("is_archived")
        ws.react(channel, ts, str(params.get("name") or ""), by=BOT)
        return {}


@method("reactions.remove")
def reactions_remove(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel, ts = _message_target(ws, params)
        ws.unreact(channel, ts, str(params.get("name") or ""), by=BOT)
        return {}


@method("reactions.get")
def reactions_get(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel, ts = _message_target(ws, params)
        message = ws.message(channel["id"], ts)
        return {"type": "message", "channel": channel["id"], "message": _public(message)}


@method("pins.add")
def pins_add(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel, ts = _message_target(ws, params)
        if BOT not in channel["members"]:
            raise SlackError("not_in_channel")
        ws.pin(channel, ts, by=BOT)
        return {}


@method("pins.remove")
def pins_remove(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel, ts = _message_target(ws, params)
        ws.unpin(channel, ts, by=BOT)
        return {}


@method("pins.list")
def pins_list(ws: Workspace, params: JsonDict) -> JsonDict:
    with ws.lock:
        channel = ws.channel(str(required(params, "channel")))
        items = []
        for message in ws.pins(channel["id"]):
            info = message.get("pinned_info") or {}
            shown = _public(message)
            shown["permalink"] = ws.permalink(channel["id"], message)
            items.append(
                {
                    "type": "message",
                    "created": info.get("created"),
                    "created_by": info.get("by"),
                    "channel": channel["id"],
                    "message": shown,
                }
            )
        return {"items": items}


# --- Helpers -------------------------------------------------------------------------------------


def _public(message: JsonDict, *, with_metadata: bool = True) -> JsonDict:
    shown = {k: v for k, v in copy.deepcopy(message).items() if k != "pinned_info"}
    if not with_metadata:
        shown.pop("metadata", None)
    return shown


def _next(cursor: str) -> JsonDict:
    return {"next_cursor": cursor}


def call(ws: Workspace, name: str, params: JsonDict) -> JsonDict:
    """Answer one Web API call: ``{"ok": true, …}`` or ``{"ok": false, "error": …}``."""
    handler = METHODS.get(name)
    if handler is None:
        return {"ok": False, "error": "unknown_method"}
    try:
        result = handler(ws, params)
    except SlackError as error:
        return {"ok": False, "error": error.code, **error.extra}
    if result.get("ok") is False:
        return result
    return {"ok": True, **result}
