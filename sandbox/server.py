"""The sandbox's HTTP server: the Web API, the control API, response URLs and the web page.

- ``/api/<method>`` and ``/<method>``: Slack's Web API (slack-platform.md §0, §5).
- ``/sandbox/...``: the control API the page and the tests use (see ``CONTROL`` below).
- ``/sandbox/response_url/<key>``: the response URLs handed out with commands and clicks.
- ``/`` and ``/static/<path>``: the page, from ``sandbox/web/``.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import mimetypes
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox import control, usergroups, webapi
from sandbox.config import Config
from sandbox.delivery import Delivery
from sandbox.errors import SlackError
from sandbox.faults import Faults
from sandbox.misconfig import Misconfig
from sandbox.people import People
from sandbox.rate_limits import RateLimits
from sandbox.seed import JsonDict
from sandbox.socket_mode import SocketMode, app_token_from_environment
from sandbox.state import Workspace

logger = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent / "web"
CALL_LOG_SIZE = 5000
PLACEHOLDER_PAGE = b"""<!doctype html><meta charset="utf-8"><title>Response sandbox</title>
<h1>Response sandbox</h1><p>The sandbox's Slack is running; its page is not installed yet.
See <a href="/sandbox/state">/sandbox/state</a>.</p>"""
# A Web API method: ``/api/chat.postMessage``, or ``/chat.postMessage`` as the SDK's tests use.
WEB_API_PATH = re.compile(r"^/(?:api/)?([a-zA-Z]+(?:\.[a-zA-Z]+)+)$")
# A permalink, shaped as Slack's: the page itself, which reads the channel and message from it.
PERMALINK_PATH = re.compile(r"^/archives/[A-Z0-9]+/p[0-9]+/?$")


class Sandbox:
    """The whole sandbox: state, delivery, people and the HTTP server in front of them."""

    def __init__(self, config: Config, subscriptions: list[str], scopes: list[str]) -> None:
        self.config = config
        self.workspace = Workspace(
            channel_name=config.channel_name,
            bot_name=config.bot_name,
            state_file=config.state_file,
            trigger_ttl=config.trigger_ttl,
            response_url_ttl=config.response_url_ttl,
            response_url_uses=config.response_url_uses,
        )
        self.workspace.public_posting = "chat:write.public" in scopes
        self.workspace.public_url = config.public_url
        self.delivery = Delivery(config, subscriptions)
        self.workspace.emit = self.delivery.emit
        self.delivery.on_record = self._delivery_recorded
        self.socket_mode = SocketMode(
            config.host, config.ack_timeout, app_token=app_token_from_environment()
        )
        self.delivery.socket_mode = self.socket_mode
        self.people = People(config, self.workspace, self.delivery)
        self.faults = Faults()
        self.rate_limits = RateLimits(enabled=config.rate_limits)
        self.misconfig = Misconfig(self.workspace, scopes)
        self.calls: deque[JsonDict] = deque(maxlen=CALL_LOG_SIZE)
        self._calls_lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    def _delivery_recorded(self) -> None:
        with self.workspace.lock:
            self.workspace.seq += 1
            self.workspace.changed.notify_all()

    def serve(self) -> ThreadingHTTPServer:
        """Bind (port 0 picks a free one) and answer on a background thread."""
        httpd = ThreadingHTTPServer((self.config.host, self.config.port), _Handler)
        httpd.daemon_threads = True
        httpd.sandbox = self  # type: ignore[attr-defined]
        self.httpd = httpd
        if self.config.port == 0:
            port = httpd.server_address[1]
            self.config = replace(self.config, port=port)
            self.people.config = self.config
            self.workspace.public_url = self.config.public_url
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.socket_mode.serve()
        return httpd

    def stop(self) -> None:
        self.socket_mode.stop()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        self.workspace.save()

    def record_call(self, method: str, params: JsonDict, error: str | None, status: int) -> None:
        entry = {
            "method": method,
            "params": params,
            "at": time.time(),
            "error": error,
            "status": status,
        }
        with self._calls_lock:
            self.calls.append(entry)

    def call_log(self, method: str | None) -> list[JsonDict]:
        with self._calls_lock:
            return [c for c in self.calls if not method or c["method"] == method]

    def reset(self) -> None:
        self.workspace.reset()
        self.faults.clear()
        self.rate_limits.reset()
        self.misconfig.forget()
        self.delivery.clear()
        with self._calls_lock:
            self.calls.clear()


class _Handler(BaseHTTPRequestHandler):
    server_version = "SlackSandbox/1.0"
    protocol_version = "HTTP/1.0"

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    # --- Routing -------------------------------------------------------------------------------

    def _route(self, verb: str) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        try:
            if path.startswith("/sandbox/"):
                self._control(verb, path, parse_qs(url.query))
                return
            match = WEB_API_PATH.match(path)
            if match:
                self._web_api(match.group(1), url.query)
                return
            if verb == "GET":
                self._static(path)
                return
            self._send_json({"ok": False, "error": "unknown_method"}, 404)
        except (BrokenPipeError, ConnectionResetError):
            # The client went away (a closed page whose long-poll was waiting): nobody to answer.
            self.close_connection = True
        except Exception:  # answer something rather than leave the client hanging
            logger.exception("sandbox failed on %s %s", verb, self.path)
            self._send_json({"ok": False, "error": "internal_error"}, 500)

    # --- Web API -------------------------------------------------------------------------------

    def _web_api(self, method: str, query: str) -> None:
        try:
            params = self._params(query)
        except ValueError:
            self._send_json({"ok": False, "error": "invalid_json"})
            return
        token = _bearer(self.headers.get("Authorization")) or params.pop("token", None)
        params.pop("token", None)
        sandbox = self.sandbox
        if method == "apps.connections.open":
            # Socket Mode's one method, for the app-level token only (sandbox/socket_mode.py).
            self._answer_call(method, params, sandbox.socket_mode.connections_open(token))
            return
        if not token:
            self._answer_call(method, params, {"ok": False, "error": "not_authed"})
            return
        if token != sandbox.config.token:
            self._answer_call(method, params, {"ok": False, "error": "invalid_auth"})
            return
        refusal = sandbox.misconfig.refusal(method)
        if refusal:
            self._answer_call(method, params, refusal)
            return
        retry_after = sandbox.rate_limits.retry_after(method, params)
        if retry_after is not None:
            body = {"ok": False, "error": "ratelimited"}
            self._answer_call(method, params, body, 429, {"Retry-After": str(retry_after)})
            return
        fault = sandbox.faults.take(method)
        if fault:
            if fault["latency_ms"]:
                time.sleep(fault["latency_ms"] / 1000)
            if fault["drop"]:
                sandbox.record_call(method, params, "dropped", 0)
                self.close_connection = True
                return
            if fault["status"] == 429:
                body = {"ok": False, "error": "ratelimited"}
                headers = {"Retry-After": str(fault["retry_after"])}
                self._answer_call(method, params, body, 429, headers)
                return
            if fault["error"] or fault["status"] != 200:
                body = {"ok": False, "error": fault["error"] or "internal_error"}
                self._answer_call(method, params, body, fault["status"])
                return
        answer = webapi.call(sandbox.workspace, method, params)
        self._answer_call(method, params, sandbox.misconfig.answer(method, answer))

    def _answer_call(
        self,
        method: str,
        params: JsonDict,
        body: JsonDict,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        error = None if body.get("ok") else str(body.get("error"))
        self.sandbox.record_call(method, params, error, status)
        self._send_json(body, status, {**self.sandbox.misconfig.headers(), **(headers or {})})

    def _params(self, query: str) -> JsonDict:
        """Parameters from the query string and the body, whichever way it is encoded."""
        params: JsonDict = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        raw = self._body()
        content_type = self.headers.get("Content-Type", "")
        if not raw:
            return params
        if "json" in content_type:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("json_not_object")
            params.update(data)
        elif "multipart/form-data" in content_type:
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name:
                    params[str(name)] = part.get_content()
        else:
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        return params

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # --- Control API ---------------------------------------------------------------------------

    def _control(self, verb: str, path: str, query: dict[str, list[str]]) -> None:
        sandbox = self.sandbox
        try:
            if path.startswith("/sandbox/response_url/") and verb == "POST":
                self._response_url(path.rsplit("/", 1)[-1])
                return
            if verb == "GET":
                answer = self._read(path, {k: v[-1] for k, v in query.items()})
            elif path == "/sandbox/faults" and verb == "DELETE":
                sandbox.faults.clear()
                answer = {"ok": True}
            elif path == "/sandbox/misconfig" and verb == "DELETE":
                answer = sandbox.misconfig.clear()
            elif verb == "POST" and path in ACTS:
                answer = ACTS[path](sandbox, self._json_body())
            else:
                answer = None
        except SlackError as error:
            self._send_json({"ok": False, "error": error.code, **error.extra}, 400)
            return
        except ValueError as error:
            self._send_json({"ok": False, "error": "invalid_json", "detail": str(error)}, 400)
            return
        if answer is None:
            self._send_json({"ok": False, "error": "not_found"}, 404)
        else:
            self._send_json(answer)

    def _read(self, path: str, query: dict[str, str]) -> Any:
        sandbox = self.sandbox
        ws = sandbox.workspace
        if path == "/sandbox/state":
            return control.state(ws)
        if match := re.match(r"^/sandbox/channels/([^/]+)/messages$", path):
            return control.messages(ws, match.group(1), query.get("user", ""))
        if path == "/sandbox/views":
            return control.views(ws, query.get("user", ""))
        if path == "/sandbox/changes":
            timeout = min(float(query.get("timeout") or 25), 60.0)
            return {"seq": ws.wait_for_change(int(query.get("since") or 0), timeout)}
        if path == "/sandbox/calls":
            return sandbox.call_log(query.get("method") or None)
        if path == "/sandbox/deliveries":
            return sandbox.delivery.records()
        if path == "/sandbox/deliveries/pending":
            return {"pending": sandbox.delivery.pending()}
        if path == "/sandbox/faults":
            return sandbox.faults.listed()
        if path == "/sandbox/rate_limits":
            return {"enabled": sandbox.rate_limits.enabled}
        if path == "/sandbox/socket":
            return control.socket_mode(sandbox.socket_mode)
        if path == "/sandbox/misconfig":
            return sandbox.misconfig.shown()
        return None

    def _json_body(self) -> JsonDict:
        raw = self._body()
        if not raw:
            return {}
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a JSON object is expected")
        return data

    def _response_url(self, key: str) -> None:
        try:
            body = self._json_body()
        except ValueError:
            self._send_text("invalid_payload", 400)
            return
        try:
            self.sandbox.people.use_response_url(key, body)
        except SlackError as error:
            self._send_text(error.code, 404)
            return
        self._send_text("ok")

    # --- The page ------------------------------------------------------------------------------

    def _static(self, path: str) -> None:
        if path in ("/", "/index.html") or PERMALINK_PATH.match(path):
            index = WEB_ROOT / "index.html"
            if index.is_file():
                self._send_file(index)
            else:
                self._send(PLACEHOLDER_PAGE, "text/html; charset=utf-8")
            return
        if path.startswith("/static/"):
            target = (WEB_ROOT / path[len("/static/") :]).resolve()
            if target.is_file() and target.is_relative_to(WEB_ROOT.resolve()):
                self._send_file(target)
                return
        self._send_text("not found", 404)

    def _send_file(self, path: Path) -> None:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(path.read_bytes(), kind)

    # --- Writing -------------------------------------------------------------------------------

    def _send_json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self._send(json.dumps(body).encode(), "application/json; charset=utf-8", status, headers)

    def _send_text(self, text: str, status: int = 200) -> None:
        self._send(text.encode(), "text/plain; charset=utf-8", status)

    def _send(
        self,
        data: bytes,
        content_type: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


# --- Control API ---------------------------------------------------------------------------------


def _text(body: JsonDict, name: str) -> str:
    return str(body.get(name) or "")


def _switch_rate_limits(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    """``{"enabled": true}`` enforces Slack's rate limits from now on, with full buckets."""
    sandbox.rate_limits.reset()
    sandbox.rate_limits.enabled = bool(body.get("enabled"))
    return {"enabled": sandbox.rate_limits.enabled}


def _reset(sandbox: Sandbox, body: JsonDict) -> JsonDict:
    sandbox.reset()
    return {"ok": True}


ACTS: dict[str, Callable[[Sandbox, JsonDict], Any]] = {
    "/sandbox/usergroups": lambda s, b: usergroups.seed(s.workspace, b),
    "/sandbox/plan": lambda s, b: usergroups.set_plan(s.workspace, b),
    "/sandbox/act/command": lambda s, b: s.people.command(
        _text(b, "user"), _text(b, "channel"), _text(b, "text"), _text(b, "command") or "/incident"
    ),
    "/sandbox/act/message": lambda s, b: s.people.message(
        _text(b, "user"), _text(b, "channel"), _text(b, "text"), _text(b, "thread_ts") or None
    ),
    "/sandbox/act/click": lambda s, b: s.people.click(_text(b, "user"), b),
    "/sandbox/act/submit": lambda s, b: s.people.submit(
        _text(b, "user"), _text(b, "view_id"), b.get("values") or {}
    ),
    "/sandbox/act/close_view": lambda s, b: s.people.close_view(
        _text(b, "user"), _text(b, "view_id")
    ),
    "/sandbox/act/pin": lambda s, b: s.people.pin(
        _text(b, "user"), _text(b, "channel"), _text(b, "ts")
    ),
    "/sandbox/act/unpin": lambda s, b: s.people.pin(
        _text(b, "user"), _text(b, "channel"), _text(b, "ts"), remove=True
    ),
    "/sandbox/act/react": lambda s, b: s.people.react(
        _text(b, "user"), _text(b, "channel"), _text(b, "ts"), _text(b, "name")
    ),
    "/sandbox/faults": lambda s, b: s.faults.add(b),
    "/sandbox/socket/reconnect": lambda s, b: {
        "ok": True,
        "asked": s.socket_mode.ask_to_reconnect(_text(b, "reason") or "refresh_requested"),
    },
    "/sandbox/socket/drop": lambda s, b: {"ok": True, "dropped": s.socket_mode.drop()},
    "/sandbox/socket/hold_acks": lambda s, b: {
        "ok": True,
        "to_hold": s.socket_mode.hold_acks(int(b.get("events") or 1)),
    },
    "/sandbox/misconfig": lambda s, b: s.misconfig.set(b),
    "/sandbox/reset": _reset,
    "/sandbox/rate_limits": _switch_rate_limits,
}
