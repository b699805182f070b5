"""What the control API shows of the workspace: the state, a channel's messages as one person
sees them, a person's modals. The shapes are the page's contract (see the README)."""

from __future__ import annotations

from sandbox.errors import SlackError
from sandbox.seed import BOT_USER_ID, JsonDict
from sandbox.socket_mode import SocketMode
from sandbox.state import Workspace


def state(ws: Workspace) -> JsonDict:
    with ws.lock:
        channels = [
            {
                "id": c["id"],
                "name": c["name"],
                "is_private": c["is_private"],
                "is_archived": c["is_archived"],
                "is_im": c["is_im"],
                "members": list(c["members"]),
                "topic": c["topic"]["value"],
                "purpose": c["purpose"]["value"],
                "bookmarks": [
                    {"id": b["id"], "title": b["title"], "link": b["link"]} for b in c["bookmarks"]
                ],
            }
            for c in ws.channels.values()
        ]
        users = [
            {
                "id": u["id"],
                "name": u["name"],
                "real_name": u["real_name"],
                "is_bot": u["is_bot"],
                "email": u["profile"].get("email"),
                "tz": u["tz"],
            }
            for u in ws.users.values()
        ]
        return {
            "team": dict(ws.team),
            "bot": dict(ws.bot),
            "users": users,
            "channels": channels,
            "seq": ws.seq,
        }


def messages(ws: Workspace, channel_id: str, user: str) -> list[JsonDict]:
    with ws.lock:
        if channel_id not in ws.channels:
            raise SlackError("channel_not_found")
        shown = [message_view(ws, channel_id, m) for m in ws.messages.get(channel_id, [])]
        for message in ws.ephemerals.get(channel_id, []):
            if user and message["to"] == user:
                shown.append({**message_view(ws, channel_id, message), "ephemeral": True})
    return sorted(shown, key=lambda m: float(m["ts"]))


def message_view(ws: Workspace, channel_id: str, message: JsonDict) -> JsonDict:
    author = ws.users.get(message.get("user") or "")
    username = author["name"] if author else ("Slackbot" if message.get("user") else "")
    return {
        "ts": message["ts"],
        "user": message.get("user"),
        "bot_id": message.get("bot_id"),
        "username": username,
        "real_name": author["real_name"] if author else username,
        "subtype": message.get("subtype"),
        "text": message.get("text", ""),
        "blocks": message.get("blocks") or [],
        "thread_ts": message.get("thread_ts"),
        "reply_count": message.get("reply_count", 0),
        "reactions": message.get("reactions", []),
        "pinned": channel_id in message.get("pinned_to", []),
        "edited": message.get("edited"),
        "metadata": message.get("metadata"),
        "is_bot": message.get("user") == BOT_USER_ID,
    }


def views(ws: Workspace, user: str) -> list[JsonDict]:
    with ws.lock:
        return [
            {
                "id": e["id"],
                "hash": e["view"]["hash"],
                "view": e["view"],
                "errors": e.get("errors"),
                "trouble": e.get("trouble"),
            }
            for e in ws.stack(user)
        ]


def socket_mode(socket: SocketMode) -> JsonDict:
    """Socket Mode's connections now, and how many were ever opened (reconnects included)."""
    return {
        "connected": socket.connected(),
        "connections": socket.clients(),
        "connections_opened": socket.connections_opened,
        "acks_held": socket.acks_held,
    }
