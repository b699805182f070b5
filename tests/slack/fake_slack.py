"""A stand-in for the Slack Web API, served over real HTTP on 127.0.0.1 for tests.

The real ``slack_sdk.WebClient`` talks to it, so tests exercise the same transport, retries and
error handling as production. Every request is recorded as a ``Call``; each method answers, in
order of precedence:

1. the next reply scripted with ``queue()`` (and its helpers ``queue_error``, ``rate_limit``,
   ``drop_connection``, ``stall``), consumed in order;
2. the handler installed with ``on(method, handler)``;
3. a realistic default (``auth.test``, ``chat.postMessage``, ``conversations.list``, … below),
   else ``{"ok": true}``.

A request with no token gets ``not_authed`` whatever is scripted, as on Slack.

    server = FakeSlack().start()
    server.queue_error("chat.postMessage", "channel_not_found")
    ...
    assert server.calls("chat.postMessage")[0].params["channel"] == "C1"
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JsonDict = dict[str, Any]

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "AAPP"
TEAM_ID = "T1"
TEAM_DOMAIN = "response-test"
INCIDENTS_CHANNEL_ID = "C0INCIDENTS"

# Fields other clients send as JSON-encoded strings inside form bodies; decoded so that tests see
# the same structure whichever way the client sent them.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass(frozen=True)
class Call:
    """One request the server received. ``at`` is ``time.time()`` on arrival."""

    method: str
    params: JsonDict
    headers: dict[str, str]
    at: float
    path: str = ""
    http_method: str = "POST"

    def header(self, name: str) -> str | None:
        """A request header, whatever its case."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def token(self) -> str | None:
        """The token sent, from ``Authorization: Bearer`` or a ``token`` field."""
        return _token_of(self.headers, self.params)


@dataclass
class Reply:
    """A scripted answer. ``body=None`` means "the usual answer" (after ``delay``, say).

    A ``str`` or ``bytes`` body is sent as is, as HTML (what a proxy's error page looks like).
    """

    body: JsonDict | str | bytes | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without answering


Handler = Callable[[JsonDict], JsonDict | Reply]


class FakeSlack:
    """The server. Thread-safe: the code under test may call it from worker threads."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._queues: dict[str, deque[Reply]] = defaultdict(deque)
        self._handlers: dict[str, Handler] = {}
        # Set on reset/stop so that replies still waiting out a delay give up at once.
        self._release = threading.Event()
        self._last_ts = 0  # microseconds of the last ts handed out
        self._ids = itertools.count(1)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.accepted_tokens: set[str] | None = None  # None: any token is accepted
        self.errors: list[BaseException] = []  # exceptions raised by handlers installed with on()

    # --- Life cycle ----------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._httpd is not None:
            return self
        self._httpd = _Server((self._host, self._port), _RequestHandler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What to set ``SLACK_API_BASE_URL`` to, e.g. ``http://127.0.0.1:PORT/api/``."""
        return f"http://{self._host}:{self.port}/api/"

    def reset(self) -> None:
        """Forget calls, scripted replies and handlers; wake up replies waiting out a delay."""
        with self._lock:
            self._calls.clear()
            self._queues.clear()
            self._handlers.clear()
            self.errors.clear()
            self.accepted_tokens = None
            self._release.set()
            self._release = threading.Event()

    # --- Scripting -----------------------------------------------------------------------------

    def queue(
        self,
        method: str,
        body: JsonDict | str | bytes | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Answer the next call of ``method`` this way (replies queue up per method, in order)."""
        reply = Reply(body=body, status=status, headers=dict(headers or {}), delay=delay, drop=drop)
        with self._lock:
            self._queues[method].append(reply)

    def queue_error(self, method: str, error: str, *, status: int = 200, **fields: Any) -> None:
        """The next call of ``method`` fails with Slack's ``error`` (plus ``needed``… fields)."""
        self.queue(method, {"ok": False, "error": error, **fields}, status=status)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls get HTTP 429 with ``Retry-After``, as Slack's limits do."""
        for _ in range(times):
            self.queue(
                method,
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )

    def drop_connection(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls have their connection closed without an answer."""
        for _ in range(times):
            self.queue(method, drop=True)

    def stall(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls wait ``seconds`` before answering (for client timeouts)."""
        for _ in range(times):
            self.queue(method, delay=seconds)

    def on(self, method: str, handler: Handler) -> None:
        """Answer every (unscripted) call of ``method`` with ``handler(params)``.

        The handler returns the JSON body, or a ``Reply`` for another status or headers.
        """
        with self._lock:
            self._handlers[method] = handler

    # --- Inspection ----------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """The calls received so far, oldest first; only those of ``method`` if given."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def last_call(self, method: str | None = None) -> Call:
        calls = self.calls(method)
        if not calls:
            raise AssertionError(f"Slack was not called{f' with {method}' if method else ''}")
        return calls[-1]

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` was called ``count`` times (for work done on other threads)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls(method)
            if len(calls) >= count or time.monotonic() >= deadline:
                return calls
            time.sleep(0.01)

    # --- Answering (on the server's threads) ---------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _scripted(self, method: str) -> tuple[Reply | None, threading.Event]:
        with self._lock:
            queue = self._queues.get(method)
            return (queue.popleft() if queue else None), self._release

    def _answer(self, method: str, params: JsonDict) -> Reply:
        """The reply for a call that is authenticated and not scripted."""
        with self._lock:
            handler = self._handlers.get(method)
        if handler is None:
            default = _DEFAULTS.get(method)
            return Reply(default(self, params) if default else {"ok": True})
        try:
            result = handler(params)
        except Exception as exc:  # a broken test handler should fail loudly, not hang the client
            with self._lock:
                self.errors.append(exc)
            return Reply({"ok": False, "error": f"fake_slack_handler_error: {exc!r}"}, status=500)
        return result if isinstance(result, Reply) else Reply(result)

    def _auth_error(self, token: str | None) -> JsonDict | None:
        if not token:
            return {"ok": False, "error": "not_authed"}
        accepted = self.accepted_tokens
        if accepted is not None and token not in accepted:
            return {"ok": False, "error": "invalid_auth"}
        return None

    # --- Realistic defaults --------------------------------------------------------------------

    def new_ts(self) -> str:
        """A fresh message timestamp, unique and increasing like Slack's ``ts``."""
        with self._lock:
            micros = max(self._last_ts + 1, int(time.time() * 1_000_000))
            self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):08d}"

    def _bot_message(self, params: JsonDict, ts: str) -> JsonDict:
        message: JsonDict = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "thread_ts", "metadata"):
            if params.get(key):
                message[key] = params[key]
        return message


def _auth_test(server: FakeSlack, params: JsonDict) -> JsonDict:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": "Response Test",
        "user": "incident",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _post_message(server: FakeSlack, params: JsonDict) -> JsonDict:
    ts = server.new_ts()
    channel = params.get("channel")
    return {"ok": True, "channel": channel, "ts": ts, "message": server._bot_message(params, ts)}


def _update_message(server: FakeSlack, params: JsonDict) -> JsonDict:
    ts = params.get("ts")
    return {
        "ok": True,
        "channel": params.get("channel"),
        "ts": ts,
        "text": params.get("text", ""),
        "message": server._bot_message(params, str(ts)),
    }


def _post_ephemeral(server: FakeSlack, params: JsonDict) -> JsonDict:
    return {"ok": True, "message_ts": server.new_ts()}


def _get_permalink(server: FakeSlack, params: JsonDict) -> JsonDict:
    channel = params.get("channel")
    ts = str(params.get("message_ts", "")).replace(".", "")
    return {
        "ok": True,
        "channel": channel,
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts}",
    }


def _channel(channel_id: str, name: str, *, is_private: bool = False) -> JsonDict:
    return {
        "id": channel_id,
        "name": name,
        "name_normalized": name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_private": is_private,
        "is_archived": False,
        "is_general": False,
        "is_member": True,
        "created": int(time.time()),
        "creator": BOT_USER_ID,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
        "previous_names": [],
    }


def _create_channel(server: FakeSlack, params: JsonDict) -> JsonDict:
    is_private = str(params.get("is_private", "")).lower() in ("1", "true")
    channel = _channel(server.new_id("C"), str(params.get("name", "")), is_private=is_private)
    return {"ok": True, "channel": channel}


def _list_conversations(server: FakeSlack, params: JsonDict) -> JsonDict:
    return {
        "ok": True,
        "channels": [_channel(INCIDENTS_CHANNEL_ID, "incidents")],
        "response_metadata": {"next_cursor": ""},
    }


def _open_conversation(server: FakeSlack, params: JsonDict) -> JsonDict:
    users = str(params.get("users", ""))
    return {"ok": True, "channel": {"id": "D" + users.replace(",", "").lstrip("U")}}


def _user_info(server: FakeSlack, params: JsonDict) -> JsonDict:
    user = str(params.get("user", ""))
    name = user.lower()
    return {
        "ok": True,
        "user": {
            "id": user,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": f"User {user}",
            "tz": "Europe/London",
            "is_bot": user == BOT_USER_ID,
            "profile": {
                "real_name": f"User {user}",
                "display_name": name,
                "email": f"{name}@example.com",
            },
        },
    }


def _view(server: FakeSlack, params: JsonDict) -> JsonDict:
    view = params.get("view")
    view = dict(view) if isinstance(view, dict) else {}
    view.setdefault("id", params.get("view_id") or server.new_id("V"))
    view.setdefault("hash", server.new_ts())
    view.setdefault("team_id", TEAM_ID)
    return {"ok": True, "view": view}


def _add_bookmark(server: FakeSlack, params: JsonDict) -> JsonDict:
    return {
        "ok": True,
        "bookmark": {
            "id": server.new_id("Bk"),
            "channel_id": params.get("channel_id"),
            "title": params.get("title"),
            "link": params.get("link"),
            "type": params.get("type", "link"),
            "date_created": int(time.time()),
        },
    }


_DEFAULTS: dict[str, Callable[[FakeSlack, JsonDict], JsonDict]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _post_message,
    "chat.update": _update_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.getPermalink": _get_permalink,
    "conversations.create": _create_channel,
    "conversations.list": _list_conversations,
    "conversations.open": _open_conversation,
    "users.info": _user_info,
    "views.open": _view,
    "views.update": _view,
    "views.push": _view,
    "bookmarks.add": _add_bookmark,
}


# --- HTTP --------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeSlack

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) leaves a closed socket behind: not worth a traceback.
        pass


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        # Any prefix works (/api/chat.postMessage, /chat.postMessage): the method is the last part.
        method = url.path.rstrip("/").rsplit("/", 1)[-1]
        params: JsonDict = _parse_form(url.query)
        body, problem = self._read_body()
        params.update(body)
        headers = dict(self.headers.items())
        fake._record(
            Call(method, params, headers, time.time(), path=url.path, http_method=self.command)
        )
        if not method:
            return self._send(Reply({"ok": False, "error": "unknown_method"}, status=404))
        if problem:
            return self._send(Reply({"ok": False, "error": problem}))

        reply, released = fake._scripted(method)
        if reply is not None and reply.delay and released.wait(reply.delay):
            return self._drop()  # the test is over: give up without answering
        if reply is not None and reply.drop:
            return self._drop()
        auth_error = fake._auth_error(_token_of(headers, params))
        if auth_error is not None:
            return self._send(Reply(auth_error))
        if reply is None or reply.body is None:
            usual = fake._answer(method, params)
            if reply is None:
                reply = usual
            elif reply.status == 429:
                reply.body = {"ok": False, "error": "ratelimited"}
            else:
                reply.body = usual.body
        self._send(reply)

    def _read_body(self) -> tuple[JsonDict, str | None]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}, None
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                data = json.loads(raw)
            except ValueError:
                return {}, "invalid_json"
            return (data, None) if isinstance(data, dict) else ({}, "json_not_object")
        if content_type == "multipart/form-data":
            return _parse_multipart(self.headers.get("Content-Type", ""), raw), None
        try:
            return _parse_form(raw.decode("utf-8")), None
        except UnicodeDecodeError:
            return {}, "invalid_charset"

    def _send(self, reply: Reply) -> None:
        body = reply.body if reply.body is not None else {"ok": True}
        content_type = "application/json; charset=utf-8"
        if isinstance(body, str | bytes):
            payload = body.encode() if isinstance(body, str) else body
            content_type = "text/html; charset=utf-8"
        else:
            payload = json.dumps(body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client has gone (it timed out); nothing to tell it

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _token_of(headers: dict[str, str], params: JsonDict) -> str | None:
    for key, value in headers.items():
        if key.lower() == "authorization" and value.lower().startswith("bearer "):
            return value[7:].strip() or None
    token = params.get("token")
    return str(token) if token else None


def _decode_json_fields(params: JsonDict) -> JsonDict:
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _parse_form(text: str) -> JsonDict:
    """Form fields as strings (a repeated field as a list), JSON fields decoded."""
    fields = parse_qs(text, keep_blank_values=True)
    return _decode_json_fields({k: v[0] if len(v) == 1 else v for k, v in fields.items()})


def _parse_multipart(content_type: str, raw: bytes) -> JsonDict:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    params: JsonDict = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            params[name] = payload  # an uploaded file stays bytes
        else:
            params[name] = payload.decode(part.get_content_charset() or "utf-8", "replace")
    return _decode_json_fields(params)
