"""What the people in the sandbox do: type commands and messages, click, submit, pin, react.

Each act changes the workspace as Slack's client would and sends Response what Slack would send:
slash commands and interactions synchronously (the person waits for the app's answer, which is
then shown to them), events through the workspace's event sink.
"""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from sandbox.blockids import with_ids
from sandbox.config import Config
from sandbox.delivery import Answer, Delivery
from sandbox.errors import SlackError
from sandbox.seed import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, JsonDict
from sandbox.state import Workspace

SLACKBOT = "USLACKBOT"
MENTION = re.compile(r"(?<![<\w])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)
# Elements whose choice is one of their options (``selected_option``).
OPTION_ELEMENTS = ("static_select", "external_select", "overflow", "radio_buttons")
# The names the chosen value goes under in ``actions[]`` and in ``view.state.values``.
SELECTED_FIELDS = (
    "value",
    "selected_options",
    "selected_user",
    "selected_users",
    "selected_conversation",
    "selected_channel",
    "selected_date",
    "selected_time",
)


class People:
    def __init__(self, config: Config, workspace: Workspace, delivery: Delivery) -> None:
        self.config = config
        self.ws = workspace
        self.delivery = delivery

    # --- Typing in the composer ----------------------------------------------------------------

    def command(
        self, user: str, channel_id: str, text: str, command: str = "/incident"
    ) -> JsonDict:
        """Send a slash command; answers what Response answered and how fast."""
        with self.ws.lock:
            person = self.ws.user(user)
            channel = self.ws.channel(channel_id, as_user=user)
            trigger_id = self.ws.issue_trigger(user)
            key = self.ws.issue_response_url(channel=channel["id"], user=user, message_ts=None)
        form = {
            "token": "sandbox-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel["id"],
            "channel_name": _channel_name(channel),
            "user_id": user,
            "user_name": person["name"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.response_url(key),
            "trigger_id": trigger_id,
        }
        answer = self.delivery.send_command(urlencode(form), f"{command} {text}".strip())
        response = self._show_reply(answer, channel, user, what=command)
        return {
            "status": answer.status,
            "ack_ms": answer.latency_ms,
            "error": answer.error,
            "response": response,
        }

    def message(self, user: str, channel_id: str, text: str, thread_ts: str | None) -> JsonDict:
        with self.ws.lock:
            self.ws.user(user)
            channel = self.ws.channel(channel_id, as_user=user)
            if user not in channel["members"]:
                raise SlackError("not_in_channel")
            if not text.strip():
                raise SlackError("no_text")
            message = self.ws.post(channel, user, self.with_mentions(text), thread_ts=thread_ts)
            return {"ts": message["ts"], "text": message["text"]}

    def with_mentions(self, text: str) -> str:
        """``@incident`` and ``@alice`` typed as plain text become ``<@U…>``, as Slack's client
        turns a chosen mention into the user's id."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).lower().rstrip(".")
            for found in self.ws.users.values():
                if name in (found["name"].lower(), found["profile"].get("display_name", "")):
                    return f"<@{found['id']}>" + match.group(1)[len(name) :]
            return match.group(0)

        return MENTION.sub(replace, text)

    # --- Pins and reactions --------------------------------------------------------------------

    def pin(self, user: str, channel_id: str, ts: str, *, remove: bool = False) -> JsonDict:
        with self.ws.lock:
            channel = self._member_channel(user, channel_id)
            if remove:
                self.ws.unpin(channel, ts, by=user)
            else:
                self.ws.pin(channel, ts, by=user)
            return {"ok": True}

    def react(self, user: str, channel_id: str, ts: str, name: str) -> JsonDict:
        with self.ws.lock:
            channel = self._member_channel(user, channel_id)
            try:
                self.ws.react(channel, ts, name, by=user)
            except SlackError as error:
                if error.code != "already_reacted":
                    raise
                self.ws.unreact(channel, ts, name, by=user)  # clicking again takes it back
            return {"ok": True}

    def _member_channel(self, user: str, channel_id: str) -> JsonDict:
        self.ws.user(user)
        channel = self.ws.channel(channel_id, as_user=user)
        if user not in channel["members"]:
            raise SlackError("not_in_channel")
        return channel

    # --- Clicks --------------------------------------------------------------------------------

    def click(self, user: str, spec: JsonDict) -> JsonDict:
        """A ``block_actions`` interaction for a button or select in a message or a view."""
        action_id = str(spec.get("action_id") or "")
        with self.ws.lock:
            person = self.ws.user(user)
            payload = _interaction("block_actions", person, trigger_id=self.ws.issue_trigger(user))
            if spec.get("view_id"):
                entry = self._own_view(user, str(spec["view_id"]))
                if spec.get("values"):
                    entry["view"]["state"]["values"] = spec["values"]
                blocks = entry["view"]["blocks"]
                payload["container"] = {"type": "view", "view_id": entry["id"]}
                payload["view"] = copy.deepcopy(entry["view"])
                payload["state"] = copy.deepcopy(entry["view"]["state"])
                channel = None
            else:
                channel = self.ws.channel(str(spec.get("channel") or ""), as_user=user)
                ts = str(spec.get("message_ts") or "")
                message = self.ws.ephemeral(channel["id"], ts)
                ephemeral = message is not None
                if message is None:
                    message = self.ws.message(channel["id"], ts)
                blocks = message.get("blocks") or []
                key = self.ws.issue_response_url(
                    channel=channel["id"], user=user, message_ts=ts, ephemeral=ephemeral
                )
                container: JsonDict = {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel["id"],
                    "is_ephemeral": ephemeral,
                }
                if message.get("thread_ts"):
                    container["thread_ts"] = message["thread_ts"]
                payload["container"] = container
                payload["channel"] = {"id": channel["id"], "name": _channel_name(channel)}
                if not ephemeral:
                    payload["message"] = {
                        k: v for k, v in copy.deepcopy(message).items() if k != "pinned_info"
                    }
                payload["state"] = {"values": {}}
                payload["response_url"] = self.response_url(key)
            block, element = _find_element(blocks, action_id, spec.get("block_id"))
            payload["actions"] = [_action(block, element, spec)]
        summary = f"block_actions {action_id}"
        answer = self.delivery.send_interaction(
            urlencode({"payload": json.dumps(payload)}), summary
        )
        shown = None
        if channel is not None:
            shown = self._show_reply(answer, channel, user, what="that")
        elif not answer.ok:
            self._view_trouble(user, str(spec["view_id"]))
        return {
            "status": answer.status,
            "ack_ms": answer.latency_ms,
            "error": answer.error,
            "response": shown,
        }

    # --- Modals --------------------------------------------------------------------------------

    def submit(self, user: str, view_id: str, values: JsonDict) -> JsonDict:
        with self.ws.lock:
            person = self.ws.user(user)
            entry = self._own_view(user, view_id)
            entry["view"]["state"]["values"] = values or {}
            payload = _interaction(
                "view_submission",
                person,
                trigger_id=self.ws.issue_trigger(user),
                view=copy.deepcopy(entry["view"]),
                response_urls=[],
            )
        summary = f"view_submission {entry['view'].get('callback_id') or view_id}"
        answer = self.delivery.send_interaction(
            urlencode({"payload": json.dumps(payload)}), summary
        )
        result: JsonDict = {
            "errors": None,
            "closed": False,
            "status": answer.status,
            "ack_ms": answer.latency_ms,
            "error": answer.error,
        }
        if not answer.ok:
            self._view_trouble(user, view_id)
            return result
        reply = _json_body(answer)
        action = reply.get("response_action") if isinstance(reply, dict) else None
        with self.ws.lock:
            if action == "errors":
                entry["errors"] = reply.get("errors") or {}
                self.ws.touch()
                result["errors"] = entry["errors"]
            elif action == "update":
                self.ws.update_view(entry, reply.get("view") or {})
            elif action == "push":
                self.ws.open_view(user, reply.get("view") or {}, push=True)
            elif action == "clear":
                self.ws.close_view(entry, everything=True)
                result["closed"] = True
            else:
                self.ws.close_view(entry)
                result["closed"] = True
        return result

    def close_view(self, user: str, view_id: str) -> JsonDict:
        with self.ws.lock:
            person = self.ws.user(user)
            entry = self._own_view(user, view_id)
            view = copy.deepcopy(entry["view"])
            self.ws.close_view(entry)
        answer = None
        if view.get("notify_on_close"):
            payload = _interaction("view_closed", person, view=view, is_cleared=False)
            form = urlencode({"payload": json.dumps(payload)})
            answer = self.delivery.send_interaction(form, f"view_closed {view['callback_id']}")
        return {"closed": True, "status": answer.status if answer else None}

    def _own_view(self, user: str, view_id: str) -> JsonDict:
        entry = self.ws.find_view(view_id)
        if entry["user"] != user:
            raise SlackError("not_found")
        return entry

    def _view_trouble(self, user: str, view_id: str) -> None:
        with self.ws.lock:
            entry = self.ws.views.get(view_id)
            if entry is not None:
                entry["trouble"] = "We had some trouble connecting. Try again?"
                self.ws.touch()

    # --- Answers shown to the person -----------------------------------------------------------

    def _show_reply(self, answer: Answer, channel: JsonDict, user: str, *, what: str) -> Any:
        """Show the app's synchronous answer as Slack does; or Slack's own error if none came."""
        if not answer.ok:
            reason = "operation_timeout" if answer.error == "http_timeout" else "dispatch_failed"
            self.ws.post_ephemeral(
                channel["id"],
                user,
                f'{what} failed with the error "{reason}"',
                author=SLACKBOT,
            )
            return None
        reply = _json_body(answer)
        if reply is None:
            return None
        if isinstance(reply, str):
            self.ws.post_ephemeral(channel["id"], user, reply)
            return reply
        text = str(reply.get("text") or "")
        blocks = reply.get("blocks")
        if text or blocks:
            if reply.get("response_type") == "in_channel":
                self.ws.post(channel, BOT_USER_ID, text, blocks=blocks)
            else:
                self.ws.post_ephemeral(channel["id"], user, text, blocks=blocks)
        return reply

    # --- response_url --------------------------------------------------------------------------

    def response_url(self, key: str) -> str:
        return f"{self.config.public_url}/sandbox/response_url/{key}"

    def use_response_url(self, key: str, body: JsonDict) -> None:
        with self.ws.lock:
            entry = self.ws.redeem_response_url(key)
            channel = self.ws.channels[entry["channel"]]
            original = entry.get("message_ts")
            text = str(body.get("text") or "")
            blocks = body.get("blocks")
            if original and body.get("delete_original"):
                self._delete(channel, original)
            elif original and body.get("replace_original"):
                self._replace(channel, original, text, blocks)
            elif body.get("response_type") == "in_channel":
                self.ws.post(
                    channel, BOT_USER_ID, text, blocks=blocks, thread_ts=body.get("thread_ts")
                )
            else:
                self.ws.post_ephemeral(
                    channel["id"],
                    entry["user"],
                    text,
                    blocks=blocks,
                    thread_ts=body.get("thread_ts"),
                )

    def _delete(self, channel: JsonDict, ts: str) -> None:
        ephemeral = self.ws.ephemeral(channel["id"], ts)
        if ephemeral is not None:
            self.ws.ephemerals[channel["id"]].remove(ephemeral)
            self.ws.touch()
        else:
            self.ws.delete(channel, ts)

    def _replace(self, channel: JsonDict, ts: str, text: str, blocks: Any) -> None:
        ephemeral = self.ws.ephemeral(channel["id"], ts)
        if ephemeral is not None:
            ephemeral["text"] = text
            if blocks is not None:
                ephemeral["blocks"] = with_ids(blocks)
            self.ws.touch()
            return
        message = self.ws.message(channel["id"], ts)
        self.ws.update(
            channel,
            ts,
            by=message.get("user", BOT_USER_ID),
            text=text,
            blocks=blocks if blocks is not None else [],
        )


# --- Building payloads ---------------------------------------------------------------------------


def _interaction(kind: str, person: JsonDict, **fields: Any) -> JsonDict:
    """An interaction payload as Slack sends it: what every kind carries, then its own fields."""
    return {
        "type": kind,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user_ref(person),
        "api_app_id": APP_ID,
        "token": "sandbox-verification-token",
        "is_enterprise_install": False,
        "enterprise": None,
        **fields,
    }


def _user_ref(person: JsonDict) -> JsonDict:
    return {
        "id": person["id"],
        "username": person["name"],
        "name": person["name"],
        "team_id": TEAM_ID,
    }


def _channel_name(channel: JsonDict) -> str:
    if channel["is_im"]:
        return "directmessage"
    return "privategroup" if channel["is_private"] else channel["name"]


def _elements(block: JsonDict) -> list[JsonDict]:
    found = list(block.get("elements") or []) if block.get("type") == "actions" else []
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            found.append(block[key])
    return found


def _find_element(
    blocks: list[JsonDict], action_id: str, block_id: str | None
) -> tuple[JsonDict, JsonDict]:
    for block in blocks:
        if block_id and block.get("block_id") != block_id:
            continue
        for element in _elements(block):
            if element.get("action_id") == action_id:
                return block, element
    raise SlackError("action_not_found", detail=f"no element with action_id {action_id!r}")


def _action(block: JsonDict, element: JsonDict, spec: JsonDict) -> JsonDict:
    """One entry of ``actions[]``: the element's identity plus the value the person chose."""
    action: JsonDict = {
        "type": element.get("type"),
        "action_id": element.get("action_id"),
        "block_id": block.get("block_id") or "",
        "action_ts": f"{time.time():.6f}",
    }
    kind = element.get("type")
    if kind == "button":
        action["text"] = element.get("text")
        for name in ("value", "style", "url"):
            if name in element:
                action[name] = element[name]
    elif kind in OPTION_ELEMENTS:
        option = spec.get("selected_option")
        if not isinstance(option, dict):
            # Given as the option's value: send back the whole option, as Slack's client does.
            wanted = option if isinstance(option, str) else spec.get("value")
            option = next((o for o in _options(element) if o.get("value") == wanted), None)
        action["selected_option"] = option
    # Other elements (user and conversation pickers, dates, multi-selects, dispatched inputs):
    # the value arrives under the same name Slack uses.
    if kind != "button":  # a button's value is its own, whatever the click says
        for name in SELECTED_FIELDS:
            if name in spec and name not in action:
                action[name] = spec[name]
    return action


def _options(element: JsonDict) -> list[JsonDict]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _json_body(answer: Answer) -> Any:
    raw = answer.body.decode("utf-8", "replace").strip()
    if not raw:
        return None
    if "json" in answer.content_type or raw.startswith("{"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw
