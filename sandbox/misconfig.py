"""A workspace set up wrong, on request: the mistakes people make when they install a Slack app.

Tests and the setup check (``manage.py doctor``) need Slack to misbehave the way a misconfigured
workspace does, not the way a broken network does (that is ``faults.py``):

- ``token``: ``"revoked"`` (every call answers ``token_revoked``, as after an uninstall),
  ``"invalid"`` (``invalid_auth``, a mistyped token) or ``"user"`` (a user token, ``xoxp-…``:
  calls work, but ``auth.test`` says it is a person, with no ``bot_id``);
- ``missing_scopes``: scopes the app was installed without. They are left out of the
  ``X-OAuth-Scopes`` header that real Slack sends on every Web API answer, and the methods that
  need one of them answer ``missing_scope`` with ``needed`` and ``provided``, as Slack does;
- ``bot_not_in``: channels (ids or names) the bot was never invited to. Clearing the
  misconfiguration invites it back.

Set with ``POST /sandbox/misconfig``, read with ``GET``, undone with ``DELETE`` (and by a reset).
"""

from __future__ import annotations

import threading

from sandbox.errors import SlackError
from sandbox.seed import BOT_USER_ID, JsonDict
from sandbox.state import Workspace

TOKEN_PROBLEMS = {"revoked": "token_revoked", "invalid": "invalid_auth", "user": None}

# Slack's documented bot scopes for the methods the sandbox answers: a call is refused when the
# token has none of them (Slack accepts any one of a method's scopes).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "bookmarks.add": ("bookmarks:write",),
    "bookmarks.list": ("bookmarks:read",),
    "chat.postEphemeral": ("chat:write",),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.archive": ("channels:manage",),
    "conversations.create": ("channels:manage",),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.invite": ("channels:manage",),
    "usergroups.create": ("usergroups:write",),
    "usergroups.list": ("usergroups:read",),
    "usergroups.users.list": ("usergroups:read",),
    "usergroups.users.update": ("usergroups:write",),
    "conversations.join": ("channels:join",),
    "conversations.list": ("channels:read", "groups:read"),
    "conversations.members": ("channels:read", "groups:read"),
    "conversations.open": ("im:write",),
    "conversations.rename": ("channels:manage",),
    "conversations.replies": ("channels:history", "groups:history"),
    "conversations.setPurpose": ("channels:manage",),
    "conversations.setTopic": ("channels:manage",),
    "pins.add": ("pins:write",),
    "pins.list": ("pins:read",),
    "pins.remove": ("pins:write",),
    "reactions.add": ("reactions:write",),
    "reactions.get": ("reactions:read",),
    "reactions.remove": ("reactions:write",),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
}
# The person a user token belongs to: whoever installed the app with it.
INSTALLING_USER = "U0ALICE"


class Misconfig:
    """The workspace's current misconfiguration; none at first."""

    def __init__(self, workspace: Workspace, scopes: list[str]) -> None:
        self._lock = threading.Lock()
        self._workspace = workspace
        self._scopes = list(scopes)
        self._token: str | None = None
        self._missing: list[str] = []
        self._removed_from: list[str] = []

    # --- Control API ---------------------------------------------------------------------------

    def set(self, spec: JsonDict) -> JsonDict:
        token = spec.get("token") or None
        if token is not None and token not in TOKEN_PROBLEMS:
            raise SlackError(
                "invalid_arguments", detail=f"token is one of {', '.join(TOKEN_PROBLEMS)}"
            )
        missing = [str(scope) for scope in spec.get("missing_scopes") or []]
        never_granted = [scope for scope in missing if scope not in self._scopes]
        if never_granted:  # a typo would otherwise take nothing away, silently
            raise SlackError(
                "invalid_arguments", detail=f"not granted to begin with: {', '.join(never_granted)}"
            )
        channels = [str(channel) for channel in spec.get("bot_not_in") or []]
        removed = self._take_bot_out_of(channels)
        with self._lock:
            self._token = token
            self._missing = missing
            self._removed_from = list(dict.fromkeys([*self._removed_from, *removed]))
        return self.shown()

    def clear(self) -> JsonDict:
        with self._lock:
            removed, self._removed_from = self._removed_from, []
            self._token, self._missing = None, []
        ws = self._workspace
        with ws.lock:
            for channel_id in removed:
                channel = ws.channels.get(channel_id)
                if channel is not None and BOT_USER_ID not in channel["members"]:
                    channel["members"].append(BOT_USER_ID)
        return self.shown()

    def forget(self) -> None:
        """After a reset: the fresh workspace has the bot in its channels again."""
        with self._lock:
            self._token, self._missing, self._removed_from = None, [], []

    def shown(self) -> JsonDict:
        with self._lock:
            return {
                "token": self._token,
                "missing_scopes": list(self._missing),
                "bot_not_in": list(self._removed_from),
                "granted_scopes": self._granted(),
            }

    # --- Answering Web API calls ---------------------------------------------------------------

    def refusal(self, method: str) -> JsonDict | None:
        """The error body Slack would answer this call with, or None when it goes through."""
        with self._lock:
            code = TOKEN_PROBLEMS.get(self._token or "")
            if code:
                return {"ok": False, "error": code}
            needed = METHOD_SCOPES.get(method, ())
            granted = self._granted()
            # Only scopes taken away are enforced: the sandbox answers its own control calls'
            # methods (pins.add, say) for the bot too, which the manifest never asks for.
            taken_away = any(scope in self._missing for scope in needed)
        if taken_away and not any(scope in granted for scope in needed):
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": ",".join(needed),
                "provided": ",".join(granted),
            }
        return None

    def answer(self, method: str, body: JsonDict) -> JsonDict:
        """The success body as this workspace gives it (``auth.test`` for a user token)."""
        with self._lock:
            user_token = self._token == "user"  # noqa: S105 (a kind of token, not one)
        if method != "auth.test" or not user_token or not body.get("ok"):
            return body
        person = self._workspace.users.get(INSTALLING_USER) or {}
        shown = {key: value for key, value in body.items() if key != "bot_id"}
        return {**shown, "user_id": INSTALLING_USER, "user": person.get("name", "alice")}

    def headers(self) -> dict[str, str]:
        """What real Slack adds to every Web API answer: the token's granted scopes."""
        with self._lock:
            return {"X-OAuth-Scopes": ",".join(self._granted())}

    # --- Internals -----------------------------------------------------------------------------

    def _granted(self) -> list[str]:
        return [scope for scope in self._scopes if scope not in self._missing]

    def _take_bot_out_of(self, channels: list[str]) -> list[str]:
        ws = self._workspace
        removed = []
        with ws.lock:
            found = [
                ws.channels.get(wanted) or ws.channel_named(wanted.lstrip("#"))
                for wanted in channels
            ]
            unknown = [
                wanted for wanted, channel in zip(channels, found, strict=True) if not channel
            ]
            if unknown:  # refused before anything changes
                raise SlackError("channel_not_found", detail=", ".join(unknown))
            for channel in found:
                if BOT_USER_ID in channel["members"]:
                    channel["members"].remove(BOT_USER_ID)
                    removed.append(str(channel["id"]))
        return removed
