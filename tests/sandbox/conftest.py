"""A sandbox on a free port, delivering to a local stand-in for Response that records what it gets.

``sandbox`` runs with Slack's behaviour but short clocks (acknowledgement timeout, retry delays),
so that retries and expiries take milliseconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient

from sandbox.config import Config
from sandbox.server import Sandbox
from slack.manifest import BOT_EVENTS, BOT_SCOPES

SECRET = "sandbox-test-signing-secret"
TOKEN = "xoxb-sandbox-test"
FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def payload(self) -> dict:
        """The JSON of an interaction (``payload=``) or of an event."""
        if self.path.endswith("/action"):
            return json.loads(self.form["payload"])
        return json.loads(self.body)


Reply = tuple[int, str, str]  # status, content type, body


@dataclass
class Receiver:
    """Response's three Slack endpoints, recording requests and answering with ``answer``."""

    answer: Callable[[Received, int], Reply | None] = lambda request, count: None
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: ThreadingHTTPServer | None = None
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def record(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return sum(1 for r in self.received if r.path == request.path)

    def requests(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if path is None or r.path == path]

    def events(self, kind: str | None = None) -> list[dict]:
        found = [r.payload for r in self.requests("/slack/event")]
        return [e for e in found if kind is None or e["event"]["type"] == kind]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.01)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Received(self.path, dict(self.headers.items()), body)
            count = receiver.record(request)
            status, kind, text = receiver.answer(request, count) or (200, "text/plain", "")
            if status == 0:  # stall past the acknowledgement timeout
                receiver.release.wait(5)
                status = 200
            data = text.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the sandbox gave up waiting, as Slack does

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.httpd.daemon_threads = True
    threading.Thread(
        target=found.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    yield found
    found.release.set()
    found.httpd.shutdown()
    found.httpd.server_close()


def make_sandbox(response_url: str, **overrides: Any) -> Sandbox:
    config = Config(
        port=0,
        response_url=response_url,
        signing_secret=SECRET,
        token=TOKEN,
        ack_timeout=0.5,
        retry_delays=(0.01, 0.01, 0.01),
        **overrides,
    )
    running = Sandbox(config, subscriptions=BOT_EVENTS, scopes=BOT_SCOPES)
    running.serve()
    return running


@pytest.fixture
def sandbox(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    running = make_sandbox(receiver.url)
    yield running
    running.stop()


@pytest.fixture
def web(sandbox: Sandbox) -> WebClient:
    """The bot's Web API client, exactly as Response builds it (minus the retries)."""
    return WebClient(token=TOKEN, base_url=sandbox.config.public_url + "/api/")
