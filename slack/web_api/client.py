"""The one way Response talks to the Slack Web API.

Everything goes through ``get_slack_client()``, which wraps ``slack_sdk.WebClient`` configured from
settings (token, ``SLACK_API_BASE_URL``, timeout, retries of 429s and dropped connections). Each
call logs one line and turns failures into the classes of ``slack.web_api.errors``, so callers
never see ``SlackApiError`` or ``urllib`` exceptions. Nothing here talks to Slack at import time.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.client import HTTPException
from typing import Any, Protocol, TypeVar
from urllib.error import URLError
from urllib.parse import urlsplit

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient

from response import metrics
from slack.web_api.errors import (
    AlreadyReacted,
    SlackConnectionError,
    SlackError,
    SlackServerError,
    error_for,
    retry_after_seconds,
)
from slack.web_api.guard import check_slack_call_allowed

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
Blocks = list[JsonDict]
T = TypeVar("T")


class SlackClient(Protocol):
    """The Web API calls Response makes. Tests and the sandbox may provide their own."""

    def auth_test(self) -> JsonDict: ...

    def auth_test_with_scopes(self) -> tuple[JsonDict, list[str] | None]: ...

    def conversation_info(self, *, channel: str) -> JsonDict: ...

    def open_socket_connection(self, *, app_token: str) -> str: ...

    def post_message(
        self,
        *,
        channel: str,
        text: str,
        blocks: Blocks | None = None,
        thread_ts: str | None = None,
        metadata: JsonDict | None = None,
    ) -> JsonDict: ...

    def update_message(
        self, *, channel: str, ts: str, text: str, blocks: Blocks | None = None
    ) -> JsonDict: ...

    def post_ephemeral(
        self, *, channel: str, user: str, text: str, blocks: Blocks | None = None
    ) -> JsonDict: ...

    def open_view(self, *, trigger_id: str, view: JsonDict) -> JsonDict: ...

    def update_view(self, *, view_id: str, view: JsonDict, hash: str | None = None) -> JsonDict: ...

    def create_channel(self, *, name: str, is_private: bool = False) -> JsonDict: ...

    def invite(self, *, channel: str, users: list[str]) -> JsonDict: ...

    def set_topic(self, *, channel: str, topic: str) -> JsonDict: ...

    def set_purpose(self, *, channel: str, purpose: str) -> JsonDict: ...

    def rename_channel(self, *, channel: str, name: str) -> JsonDict: ...

    def add_bookmark(self, *, channel: str, title: str, link: str) -> JsonDict: ...

    def list_bookmarks(self, *, channel: str) -> list[JsonDict]: ...

    def add_reaction(self, *, channel: str, ts: str, name: str) -> JsonDict: ...

    def get_permalink(self, *, channel: str, message_ts: str) -> JsonDict: ...

    def user_info(self, *, user: str) -> JsonDict: ...

    def list_user_groups(self) -> list[JsonDict]: ...

    def user_group_members(self, *, usergroup: str) -> list[str]: ...

    def open_dm(self, *, users: str | list[str]) -> str: ...

    def respond(self, *, response_url: str, text: str) -> None: ...

    def iter_conversations(
        self, *, types: str = "public_channel,private_channel"
    ) -> Iterator[JsonDict]: ...

    def iter_history(self, *, channel: str, oldest: float) -> Iterator[JsonDict]: ...

    def iter_replies(self, *, channel: str, ts: str) -> Iterator[JsonDict]: ...


# Network failures the SDK lets through once its retry handlers give up. A read timeout arrives
# as a bare TimeoutError (socket.timeout) and is deliberately not retried by the SDK: the request
# may have been carried out, and a second chat.postMessage would post twice.
CONNECTION_ERRORS = (URLError, TimeoutError, ConnectionError, HTTPException)


# Calls that must not be sent twice: a second one would post, create or open again. When the
# connection drops after such a request was sent, Slack may have carried it out, so the client
# does not repeat it; the job's own retry finds out first (see slack/delivery/idempotency.py).
NOT_REPEATABLE = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "conversations.create",
        "bookmarks.add",
        "views.open",
        "views.push",
    }
)


class RepeatSafelyRetryHandler(ConnectionErrorRetryHandler):
    """Retry a failed connection at once, unless the request may have been carried out.

    ``urllib`` raises ``URLError`` only while connecting or sending: Slack never saw the request,
    so any call may be repeated. A connection reset or closed after the request was sent is
    repeated only for calls that are harmless to repeat.
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        if isinstance(error, URLError):
            return True
        method = urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[-1]
        return method not in NOT_REPEATABLE


# Longer waits are not sat out in the calling thread: the call fails with ``RateLimited`` and
# its job is retried after ``Retry-After`` (slack/delivery/jobs.py), leaving the worker free
# meanwhile.
MAX_INLINE_RATE_LIMIT_WAIT = 2


class ShortWaitRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Wait out a 429 and try again, only when Slack asks for a short wait."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = retry_after_seconds(response.headers if response is not None else None)
        return wait is None or wait <= MAX_INLINE_RATE_LIMIT_WAIT


class WebSlackClient:
    """``SlackClient`` over HTTP with ``slack_sdk.WebClient``."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        wait_on_rate_limits: bool = True,
    ) -> None:
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.base_url = base_url
        self.timeout = timeout
        self._web = WebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds too
            retry_handlers=[
                *(
                    [ShortWaitRateLimitRetryHandler(max_retry_count=max_retries)]
                    if wait_on_rate_limits
                    else []
                ),
                RepeatSafelyRetryHandler(max_retry_count=max_retries),
            ],
        )
        if is_loopback(base_url):
            _bypass_proxy_for(base_url)
            self._web.proxy = None

    # --- Calls ---------------------------------------------------------------------------------

    def auth_test(self) -> JsonDict:
        return self._call("auth.test")

    def auth_test_with_scopes(self) -> tuple[JsonDict, list[str] | None]:
        """``auth.test``, and the scopes Slack says the token has (its ``X-OAuth-Scopes`` header,
        which Slack sends on every answer); None when the header is missing."""
        response = self._send("auth.test")
        header = next(
            (v for k, v in (response.headers or {}).items() if k.lower() == "x-oauth-scopes"), None
        )
        if header is None:
            return dict(response.data), None  # type: ignore[arg-type]
        if isinstance(header, list | tuple):
            header = ",".join(str(part) for part in header)
        scopes = [scope.strip() for scope in str(header).split(",") if scope.strip()]
        return dict(response.data), scopes  # type: ignore[arg-type]

    def conversation_info(self, *, channel: str) -> JsonDict:
        return dict(self._call("conversations.info", channel=channel)["channel"])

    def open_socket_connection(self, *, app_token: str) -> str:
        """A Socket Mode WebSocket URL (``apps.connections.open``, with the app-level token)."""
        return str(self._call("apps.connections.open", app_token=app_token)["url"])

    def post_message(
        self,
        *,
        channel: str,
        text: str,
        blocks: Blocks | None = None,
        thread_ts: str | None = None,
        metadata: JsonDict | None = None,
    ) -> JsonDict:
        return self._call(
            "chat.postMessage",
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata,
        )

    def update_message(
        self, *, channel: str, ts: str, text: str, blocks: Blocks | None = None
    ) -> JsonDict:
        return self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    def post_ephemeral(
        self, *, channel: str, user: str, text: str, blocks: Blocks | None = None
    ) -> JsonDict:
        return self._call(
            "chat.postEphemeral", channel=channel, user=user, text=text, blocks=blocks
        )

    def open_view(self, *, trigger_id: str, view: JsonDict) -> JsonDict:
        return self._call("views.open", trigger_id=trigger_id, view=view)

    def update_view(self, *, view_id: str, view: JsonDict, hash: str | None = None) -> JsonDict:
        # ``hash`` makes Slack refuse the update if the view changed since it was read.
        return self._call("views.update", view_id=view_id, view=view, hash=hash)

    def create_channel(self, *, name: str, is_private: bool = False) -> JsonDict:
        return self._call("conversations.create", name=name, is_private=is_private)

    def invite(self, *, channel: str, users: list[str]) -> JsonDict:
        """Invite everyone in one call. A person Slack refuses is left out, not an error.

        Slack fails the whole call when one person cannot be invited, naming each refusal in
        ``errors``; the others are then invited in one more call. Refusals that concern the
        person (already in, unknown, the bot itself) come back under ``refused``; anything about
        the channel or Slack itself is raised.
        """
        pending = list(dict.fromkeys(users))
        refused: dict[str, str] = {}
        while pending:
            try:
                self._call("conversations.invite", channel=channel, users=pending)
                break
            except SlackError as error:
                personal = _personal_refusals(error, pending)
                if not personal and error.code in PERSONAL_INVITE_ERRORS and len(pending) > 1:
                    # A refusal that does not say whose: find out one person at a time.
                    for user in pending:
                        refused.update(self.invite(channel=channel, users=[user])["refused"])
                    break
                if not personal:
                    raise
                refused.update(personal)
                pending = [user for user in pending if user not in personal]
        return {"ok": True, "channel": {"id": channel}, "refused": refused}

    def set_topic(self, *, channel: str, topic: str) -> JsonDict:
        return self._call("conversations.setTopic", channel=channel, topic=topic)

    def set_purpose(self, *, channel: str, purpose: str) -> JsonDict:
        return self._call("conversations.setPurpose", channel=channel, purpose=purpose)

    def rename_channel(self, *, channel: str, name: str) -> JsonDict:
        return self._call("conversations.rename", channel=channel, name=name)

    def add_bookmark(self, *, channel: str, title: str, link: str) -> JsonDict:
        return self._call("bookmarks.add", channel_id=channel, title=title, type="link", link=link)

    def list_bookmarks(self, *, channel: str) -> list[JsonDict]:
        return list(self._call("bookmarks.list", channel_id=channel).get("bookmarks") or [])

    def add_reaction(self, *, channel: str, ts: str, name: str) -> JsonDict:
        try:
            return self._call("reactions.add", channel=channel, timestamp=ts, name=name)
        except AlreadyReacted:
            # The reaction is there, which is all the caller wanted (a retried job, say).
            return {"ok": True, "warning": "already_reacted"}

    def get_permalink(self, *, channel: str, message_ts: str) -> JsonDict:
        return self._call("chat.getPermalink", channel=channel, message_ts=message_ts)

    def user_info(self, *, user: str) -> JsonDict:
        return self._call("users.info", user=user)

    def list_user_groups(self) -> list[JsonDict]:
        """Every user group, disabled ones too (they must stop granting), without members."""
        data = self._call("usergroups.list", include_disabled=True, include_count=True)
        return list(data.get("usergroups") or [])

    def user_group_members(self, *, usergroup: str) -> list[str]:
        data = self._call("usergroups.users.list", usergroup=usergroup)
        return [str(user) for user in data.get("users") or []]

    def open_dm(self, *, users: str | list[str]) -> str:
        data = self._call("conversations.open", users=users)
        return str(data["channel"]["id"])

    def respond(self, *, response_url: str, text: str) -> None:
        """Answer a command or a click later, through its response URL: only the person sees it.

        Response URLs are Slack's own addresses, given with each request; nothing is retried.
        """
        check_slack_call_allowed("response_url")
        started = time.monotonic()
        webhook = WebhookClient(
            response_url,
            timeout=int(max(1, self.timeout)),
            proxy=None if is_loopback(response_url) else self._web.proxy,
        )
        try:
            answer = webhook.send(text=text, response_type="ephemeral", replace_original=False)
        except CONNECTION_ERRORS as exc:
            error = SlackConnectionError(
                self._connection_message("response_url", exc), method="response_url"
            )
            self._log("response_url", started, error)
            raise error from exc
        if answer.status_code != 200:
            error = SlackError(
                code=str(answer.body or f"http_{answer.status_code}")[:100],
                method="response_url",
                status_code=answer.status_code,
            )
            self._log("response_url", started, error)
            raise error
        self._log("response_url", started, None)

    def iter_conversations(
        self, *, types: str = "public_channel,private_channel"
    ) -> Iterator[JsonDict]:
        """Every channel the bot can see, fetching pages (200 channels each) as they are needed."""
        yield from self._iter_pages(
            "conversations.list", "channels", types=types, exclude_archived=True, limit=200
        )

    def iter_history(self, *, channel: str, oldest: float) -> Iterator[JsonDict]:
        """A channel's messages since ``oldest`` (epoch seconds), newest first, with metadata."""
        yield from self._iter_pages(
            "conversations.history",
            "messages",
            channel=channel,
            oldest=f"{oldest:.6f}",
            include_all_metadata=True,
            limit=200,
        )

    def iter_replies(self, *, channel: str, ts: str) -> Iterator[JsonDict]:
        """A thread's messages, the parent first, with metadata (a channel's history leaves
        replies out, so a reply is looked for here)."""
        yield from self._iter_pages(
            "conversations.replies", "messages", channel=channel, ts=ts, include_all_metadata=True
        )

    # --- Plumbing ------------------------------------------------------------------------------

    def _iter_pages(self, method: str, items: str, **kwargs: Any) -> Iterator[JsonDict]:
        """The ``items`` of every page of a paginated method, each page fetched when needed."""
        response = self._send(method, **kwargs)
        # Iterating a SlackResponse re-sends the request with the next cursor; the first step
        # yields the response itself without a request.
        pages = iter(response)
        next(pages)
        while True:
            yield from response.get(items) or []
            if not _next_cursor(response):
                return
            self._guarded(method, lambda: next(pages))

    def _call(self, method_name: str, **kwargs: Any) -> JsonDict:
        """Call a Web API method (``chat.postMessage``) and return its data."""
        return dict(self._send(method_name, **kwargs).data)  # type: ignore[arg-type]

    def _send(self, method_name: str, **kwargs: Any) -> SlackResponse:
        # The SDK names its methods after the API's: chat.postMessage -> chat_postMessage. Its
        # methods know which calls go as JSON and how lists are joined, so they are used as is.
        sdk_method = getattr(self._web, method_name.replace(".", "_"))
        return self._guarded(method_name, lambda: sdk_method(**kwargs))

    def _guarded(self, method: str, send: Callable[[], T]) -> T:
        """Run one request: one log line, and only ``SlackError`` subclasses escape."""
        check_slack_call_allowed(method)
        started = time.monotonic()
        try:
            result = send()
        except SlackApiError as exc:
            raw = exc.response
            data = raw.data if isinstance(raw.data, dict) else None
            error = error_for(method, data, raw.status_code, headers=raw.headers)
            self._log(method, started, error)
            raise error from exc
        except CONNECTION_ERRORS as exc:
            error = SlackConnectionError(
                self._connection_message(method, exc), code="connection_error", method=method
            )
            self._log(method, started, error)
            raise error from exc
        except json.JSONDecodeError as exc:
            # A later page that is not JSON (an HTML error page from a proxy, say).
            error = SlackServerError(code="invalid_response", method=method)
            self._log(method, started, error)
            raise error from exc
        self._log(method, started, None)
        return result

    def _connection_message(self, method: str, exc: BaseException) -> str:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return (
                f"Slack did not answer {method} at {self.base_url} within {self.timeout:g} s "
                "(SLACK_API_TIMEOUT)"
            )
        return (
            f"Could not reach Slack for {method} at {self.base_url} (SLACK_API_BASE_URL): {reason}"
        )

    @staticmethod
    def _log(method: str, started: float, error: SlackError | None) -> None:
        # Every call ends here, answered or not: the one place it is counted too.
        metrics.count_slack_call(method=method, result=_result_of(error))
        duration_ms = round((time.monotonic() - started) * 1000)
        fields = {
            "slack_method": method,
            "slack_ok": error is None,
            "slack_error": error.code if error else None,
            "duration_ms": duration_ms,
        }
        if error is None:
            logger.info(
                "slack_api method=%s ok=true duration_ms=%d", method, duration_ms, extra=fields
            )
        else:
            logger.warning(
                "slack_api method=%s ok=false error=%s duration_ms=%d",
                method,
                error.code,
                duration_ms,
                extra=fields,
            )


def _result_of(error: SlackError | None) -> str:
    """``ok``, Slack's error code, or ``exception`` when Slack never answered."""
    if error is None:
        return "ok"
    return "exception" if isinstance(error, SlackConnectionError) else error.code


# Invite refusals that concern one person, not the channel or the call.
PERSONAL_INVITE_ERRORS = frozenset(
    {
        "already_in_channel",
        "cant_invite_self",
        "cant_invite",
        "user_not_found",
        "no_user",
        "user_is_restricted",
        "ura_max_channels",
    }
)


def _personal_refusals(error: SlackError, users: list[str]) -> dict[str, str]:
    """Who Slack refused to invite and why, when the refusal is about people only."""
    listed = (error.response or {}).get("errors")
    if isinstance(listed, list) and listed:
        refusals = {
            str(item.get("user")): str(item.get("error"))
            for item in listed
            if isinstance(item, dict) and item.get("user") in users
        }
        if refusals and all(code in PERSONAL_INVITE_ERRORS for code in refusals.values()):
            return refusals
        return {}
    # A single person's refusal comes without a list.
    if len(users) == 1 and error.code in PERSONAL_INVITE_ERRORS:
        return {users[0]: error.code}
    return {}


def _next_cursor(response: SlackResponse) -> str:
    metadata = response.get("response_metadata") or {}
    return str(metadata.get("next_cursor") or response.get("next_cursor") or "")


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (the sandbox, a test's stand-in Slack)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bypass_proxy_for(url: str) -> None:
    """Make urllib connect straight to a loopback base URL even if HTTP(S)_PROXY is set.

    The SDK reads ``HTTPS_PROXY``/``HTTP_PROXY`` itself when no proxy is given, and urllib's own
    default opener reads them again; both skip the proxy only for hosts listed in ``no_proxy``.
    A proxy cannot reach this machine's 127.0.0.1 (the sandbox, the tests' stand-in) anyway.
    """
    host = urlsplit(url).hostname or ""
    for name in ("no_proxy", "NO_PROXY"):
        current = os.environ.get(name)
        if name == "NO_PROXY" and current is None:
            continue  # urllib reads the lower-case one first; only keep an existing one in step
        entries = [entry.strip() for entry in (current or "").split(",") if entry.strip()]
        if host not in entries and "*" not in entries:
            os.environ[name] = ",".join([*entries, host])


# --- Shared instances --------------------------------------------------------------------------

_lock = threading.Lock()
_clients: dict[tuple[str, str, float, int], WebSlackClient] = {}


# Slack waits 3 s for Response's answer to a command or a click. A call made while it waits (opening
# a modal) gets at most this long, and no retry that could outlast the 3 s.
IN_REQUEST_TIMEOUT = 1.5


def get_slack_client(*, in_request: bool = False, wait_on_rate_limits: bool = True) -> SlackClient:
    """The client for the current settings (a new one when tests override them).

    ``in_request=True`` for calls made before answering Slack: they must fail fast rather than
    make Slack give up on the answer (the person then sees an error, not what went wrong).
    ``wait_on_rate_limits=False`` for jobs that reschedule themselves on a 429 rather than sleep
    in the worker's thread: every 429 then raises ``RateLimited`` at once.
    """
    timeout = float(settings.SLACK_API_TIMEOUT)
    retries = int(settings.SLACK_API_MAX_RETRIES)
    if in_request:
        timeout, retries = min(timeout, IN_REQUEST_TIMEOUT), 0
    key = (settings.SLACK_TOKEN, settings.SLACK_API_BASE_URL, timeout, retries, wait_on_rate_limits)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = WebSlackClient(
                token=key[0],
                base_url=key[1],
                timeout=key[2],
                max_retries=key[3],
                wait_on_rate_limits=wait_on_rate_limits,
            )
            _clients[key] = client
        return client


def reset_clients() -> None:
    """Forget the clients made so far (tests change settings between runs)."""
    with _lock:
        _clients.clear()
