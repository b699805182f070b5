"""Parsing what Slack sends into typed objects, once, at the edge.

Anything malformed raises ``MalformedRequest``, which the views answer with 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MalformedRequest(Exception):
    """The body is not what Slack sends; the message says what is wrong."""


@dataclass(frozen=True)
class SlashCommand:
    command: str
    text: str
    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str = ""
    team_id: str = ""
    user_name: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> SlashCommand:
        """From the form fields: the HTTP request's body, or a Socket Mode envelope's payload."""
        missing = [name for name in ("command", "user_id") if not form.get(name)]
        if missing:
            raise MalformedRequest(f"slash command without {', '.join(missing)}")
        return cls(
            command=form["command"],
            text=form.get("text", ""),
            user_id=form["user_id"],
            channel_id=form.get("channel_id", ""),
            trigger_id=form.get("trigger_id", ""),
            response_url=form.get("response_url", ""),
            team_id=form.get("team_id", ""),
            user_name=form.get("user_name", ""),
        )


@dataclass(frozen=True)
class ActionContext:
    """One action of a ``block_actions`` payload (a button click, a select change)."""

    action_id: str
    value: str
    user_id: str
    trigger_id: str
    channel_id: str
    message_ts: str
    response_url: str
    action: dict[str, Any]
    payload: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> list[ActionContext]:
        actions = payload.get("actions")
        if not isinstance(actions, list):
            raise MalformedRequest("block_actions without an actions list")
        container = payload.get("container") or {}
        channel = payload.get("channel") or {}
        message = payload.get("message") or {}
        contexts = []
        for action in actions:
            if not isinstance(action, dict) or not action.get("action_id"):
                raise MalformedRequest("an action without an action_id")
            contexts.append(
                cls(
                    action_id=action["action_id"],
                    value=str(action.get("value") or _selected_value(action)),
                    user_id=_user_id(payload),
                    trigger_id=payload.get("trigger_id", ""),
                    channel_id=channel.get("id") or container.get("channel_id", ""),
                    message_ts=message.get("ts") or container.get("message_ts", ""),
                    response_url=payload.get("response_url", ""),
                    action=action,
                    payload=payload,
                )
            )
        return contexts


@dataclass(frozen=True)
class ViewContext:
    """A modal's submission (``view_submission``) or closing (``view_closed``)."""

    type: str
    callback_id: str
    user_id: str
    view_id: str
    private_metadata: str
    trigger_id: str
    values: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ViewContext:
        view = payload.get("view")
        if not isinstance(view, dict):
            raise MalformedRequest(f"{payload.get('type')} without a view")
        state = (view.get("state") or {}).get("values") or {}
        return cls(
            type=payload["type"],
            callback_id=view.get("callback_id", ""),
            user_id=_user_id(payload),
            view_id=view.get("id", ""),
            private_metadata=view.get("private_metadata", ""),
            trigger_id=payload.get("trigger_id", ""),
            values=flatten_state(state),
            payload=payload,
        )


def flatten_state(state: dict[str, Any]) -> dict[str, Any]:
    """``{block_id: {action_id: element_state}}`` → ``{action_id: value}``.

    Plain inputs give their text, selects the selected option's value, user pickers the user id.
    """
    values: dict[str, Any] = {}
    for block in state.values():
        if not isinstance(block, dict):
            continue
        for action_id, element in block.items():
            if isinstance(element, dict):
                values[action_id] = _element_value(element)
    return values


def parse_interaction(form: Mapping[str, str]) -> dict[str, Any]:
    """The JSON in the ``payload`` field of an interactivity request."""
    raw = form.get("payload")
    if not raw:
        raise MalformedRequest("interaction without a payload field")
    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise MalformedRequest("the payload field is not JSON") from error
    return checked_interaction(payload)


def checked_interaction(payload: Any) -> dict[str, Any]:
    """An interaction payload, already decoded (Socket Mode sends it as JSON), checked."""
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise MalformedRequest("the payload has no type")
    return payload


def parse_event_body(body: bytes) -> dict[str, Any]:
    """The JSON envelope of an Events API request."""
    try:
        envelope = json.loads(body)
    except ValueError as error:
        raise MalformedRequest("the event body is not JSON") from error
    return checked_event_envelope(envelope)


def checked_event_envelope(envelope: Any) -> dict[str, Any]:
    """An Events API envelope, already decoded (Socket Mode sends it as JSON), checked."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("type"), str):
        raise MalformedRequest("the event body has no type")
    if envelope["type"] == "event_callback":
        if not isinstance(envelope.get("event"), dict) or not envelope.get("event_id"):
            raise MalformedRequest("event_callback without an event or an event_id")
        if not isinstance(envelope["event"].get("type"), str):
            raise MalformedRequest("the inner event has no type")
    return envelope


def _user_id(payload: dict[str, Any]) -> str:
    user = payload.get("user") or {}
    if not isinstance(user, dict) or not user.get("id"):
        raise MalformedRequest("interaction without a user id")
    return user["id"]


def _selected_value(action: dict[str, Any]) -> str:
    option = action.get("selected_option") or {}
    return option.get("value") or action.get("selected_user") or ""


def _element_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind in ("static_select", "external_select", "radio_buttons"):
        return (element.get("selected_option") or {}).get("value")
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind in ("multi_static_select", "checkboxes"):
        return [option.get("value") for option in element.get("selected_options") or []]
    if kind == "multi_users_select":
        return element.get("selected_users") or []
    if kind == "datepicker":
        return element.get("selected_date")
    return element.get("value")
