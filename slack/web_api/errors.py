"""Errors raised by the Slack Web API client.

Slack answers most failures with HTTP 200 and ``{"ok": false, "error": "<code>"}``. Callers care
about a handful of those codes (``name_taken`` means "try the next name", ``already_in_channel``
means "fine"), so each has a class of its own; every other code becomes a plain ``SlackError``.
The messages are written for whoever reads the log or the job's failure: they say what to fix.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Iterator, Mapping
from typing import Any

OAUTH_PAGE = "the app's 'OAuth & Permissions' page"


class SlackError(Exception):
    """A Slack Web API call failed. ``code`` is Slack's error string (``channel_not_found``…)."""

    default_code = "unknown_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        method: str | None = None,
        response: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.method = method
        self.response = response
        self.status_code = status_code
        self.message = message or self.describe()
        super().__init__(self.message)

    def describe(self) -> str:
        """The message used when none is given; subclasses say what to do about their code."""
        text = f"Slack {self.method or 'Web API'} call failed: {self.code}"
        if self.status_code not in (None, 200):
            text += f" (HTTP {self.status_code}; is SLACK_API_BASE_URL right?)"
        details = _details(self.response)
        return f"{text} ({details})" if details else text

    def with_message(self, message: str) -> SlackError:
        """The same error (class, code, response) with a message that adds context."""
        clone = copy.copy(self)
        clone.message = message
        clone.args = (message,)
        return clone


def _details(response: Mapping[str, Any] | None) -> str:
    """Slack's own explanation, when it gives one (``invalid_arguments``, ``invalid_blocks``)."""
    if not response:
        return ""
    parts: list[str] = []
    metadata = response.get("response_metadata")
    if isinstance(metadata, Mapping):
        parts.extend(str(m) for m in metadata.get("messages") or [])
    errors = response.get("errors")
    if isinstance(errors, list):
        parts.extend(str(e) for e in errors)
    return "; ".join(parts)


# --- Token ------------------------------------------------------------------------------------


class SlackAuthError(SlackError):
    """The token is missing, wrong, revoked or of the wrong kind: nothing works until it's fixed."""

    default_code = "invalid_auth"
    hint = f"use the Bot User OAuth Token (xoxb-…) from {OAUTH_PAGE}"

    def describe(self) -> str:
        return f"SLACK_TOKEN was refused by Slack ({self.code}): {self.hint}"


class NotAuthed(SlackAuthError):
    default_code = "not_authed"
    hint = (
        f"no token was sent; set SLACK_TOKEN to the Bot User OAuth Token (xoxb-…) on {OAUTH_PAGE}"
    )


class InvalidAuth(SlackAuthError):
    default_code = "invalid_auth"


class TokenRevoked(SlackAuthError):
    default_code = "token_revoked"
    hint = (
        "the app was uninstalled or its token was revoked; reinstall the app and use the new "
        f"Bot User OAuth Token (xoxb-…) from {OAUTH_PAGE}"
    )


class MissingScope(SlackAuthError):
    """The token works but lacks a scope; Slack names it in ``needed``."""

    default_code = "missing_scope"

    @property
    def needed(self) -> str | None:
        return (self.response or {}).get("needed")

    @property
    def provided(self) -> str | None:
        return (self.response or {}).get("provided")

    def describe(self) -> str:
        needed = self.needed or "that this method needs"
        return (
            f"Slack refused {self.method or 'the call'} for want of a scope (missing_scope): "
            f"add the scope {needed} to the app on its 'OAuth & Permissions' page and reinstall it"
        )


# --- Arguments that name something missing or already there ----------------------------------


class ChannelNotFound(SlackError):
    default_code = "channel_not_found"


class NotInChannel(SlackError):
    default_code = "not_in_channel"


class NameTaken(SlackError):
    default_code = "name_taken"


class AlreadyInChannel(SlackError):
    default_code = "already_in_channel"


class CantInviteSelf(SlackError):
    default_code = "cant_invite_self"


class ExpiredTriggerId(SlackError):
    """The modal can no longer be opened: trigger_ids live 3 seconds and are single use."""

    default_code = "expired_trigger_id"


class MessageNotFound(SlackError):
    default_code = "message_not_found"


class UserNotFound(SlackError):
    default_code = "user_not_found"


class AlreadyPinned(SlackError):
    default_code = "already_pinned"


class NoPin(SlackError):
    default_code = "no_pin"


class AlreadyReacted(SlackError):
    default_code = "already_reacted"


# --- Transient: worth retrying later ----------------------------------------------------------


class RateLimited(SlackError):
    """Slack still said 429 after the client's own retries; ``retry_after`` is in seconds."""

    default_code = "ratelimited"

    def __init__(
        self, message: str | None = None, *, retry_after: int | None = None, **kwargs: Any
    ):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def describe(self) -> str:
        wait = f"; retry after {self.retry_after} s" if self.retry_after is not None else ""
        return f"Slack rate-limited {self.method or 'the call'} ({self.code}){wait}"


class SlackServerError(SlackError):
    """Slack itself failed (``fatal_error``, ``internal_error``, HTTP 5xx); usually temporary."""

    default_code = "internal_error"

    def describe(self) -> str:
        status = f", HTTP {self.status_code}" if self.status_code not in (None, 200) else ""
        return (
            f"Slack failed to answer {self.method or 'the call'} ({self.code}{status}); "
            "this is on Slack's side and usually temporary"
        )


class SlackConnectionError(SlackError):
    """Slack could not be reached, or did not answer in time."""

    default_code = "connection_error"


# Failures that may pass: the same call later can succeed. Every other error will not change.
TRANSIENT_ERRORS = (RateLimited, SlackServerError, SlackConnectionError)


@contextlib.contextmanager
def logged_if_lasting(
    what: str, log: logging.Logger, *, level: int = logging.WARNING
) -> Iterator[None]:
    """Let a Slack failure that may pass propagate, so that the job is tried again; log one that
    will not (an unknown channel, a missing scope) and carry on after the block, since trying
    again would fail the same way."""
    try:
        yield
    except TRANSIENT_ERRORS:
        raise
    except SlackError as error:
        log.log(level, "could not %s: %s", what, error)


# Slack error code -> class. Codes not listed here raise a plain SlackError.
ERRORS_BY_CODE: dict[str, type[SlackError]] = {
    "not_authed": NotAuthed,
    "invalid_auth": InvalidAuth,
    "token_revoked": TokenRevoked,
    "token_expired": SlackAuthError,
    "account_inactive": SlackAuthError,
    "not_allowed_token_type": SlackAuthError,
    "missing_scope": MissingScope,
    "channel_not_found": ChannelNotFound,
    "not_in_channel": NotInChannel,
    "name_taken": NameTaken,
    "already_in_channel": AlreadyInChannel,
    "cant_invite_self": CantInviteSelf,
    # views.open answers all three when the trigger can no longer be used; callers react alike.
    "expired_trigger_id": ExpiredTriggerId,
    "exchanged_trigger_id": ExpiredTriggerId,
    "invalid_trigger_id": ExpiredTriggerId,
    "message_not_found": MessageNotFound,
    "user_not_found": UserNotFound,
    "users_not_found": UserNotFound,  # users.lookupByEmail spells it in the plural
    "already_pinned": AlreadyPinned,
    "no_pin": NoPin,
    "not_pinned": NoPin,
    "already_reacted": AlreadyReacted,
    "ratelimited": RateLimited,  # HTTP 429
    "rate_limited": RateLimited,  # chat.postMessage's own limit, HTTP 200
    "fatal_error": SlackServerError,
    "internal_error": SlackServerError,
    "service_unavailable": SlackServerError,
}


def retry_after_seconds(headers: Mapping[str, Any] | None) -> int | None:
    """The integer ``Retry-After`` header (any case), or None when absent or not a number."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return int(str(raw).strip())
            except ValueError:
                return None
    return None


def error_for(
    method: str,
    response: Mapping[str, Any] | None,
    status_code: int | None = None,
    *,
    headers: Mapping[str, Any] | None = None,
) -> SlackError:
    """The exception for a failed call: by HTTP status first (429, 5xx), then by Slack's code."""
    body = dict(response) if response else None
    code = str((body or {}).get("error") or "") or None
    kwargs: dict[str, Any] = {
        "code": code,
        "method": method,
        "response": body,
        "status_code": status_code,
    }
    if status_code == 429 or code in ("ratelimited", "rate_limited"):
        return RateLimited(retry_after=retry_after_seconds(headers), **kwargs)
    if status_code is not None and status_code >= 500:
        # The body of a 5xx is often an HTML page, which the SDK turns into a bogus "error".
        kwargs["code"] = code if code in ERRORS_BY_CODE else f"http_{status_code}"
        return SlackServerError(**kwargs)
    cls = ERRORS_BY_CODE.get(code or "", SlackError)
    return cls(**kwargs)
