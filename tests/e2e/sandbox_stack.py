"""Response for real (web, worker, cron, embedded PostgreSQL) against the Slack sandbox.

``make run``'s own entry point, ``python -m response.runner``, is started in a subprocess with a
temporary data directory and free ports, so it starts the sandbox too. Tests then act as Slack users
through the sandbox's control API (``SandboxClient``) and look at what Slack would show.

    from tests.e2e.sandbox_stack import sandbox_stack  # noqa: F401  (the fixture)

    def test_something(sandbox_stack):
        slack = sandbox_stack.sandbox
        slack.command("U0ALICE", "#incidents", "payments are failing")
        (view,) = slack.wait_for(lambda: slack.views("U0ALICE"), message="the report modal")

``socket_stack`` is the same with ``SLACK_TRANSPORT=socket``: ``make run`` then starts
``manage.py slack_socket`` too, and the sandbox delivers everything over Socket Mode.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bench.run import free_port

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
JsonDict = dict[str, Any]

# Variables a developer's shell or .env may set that would point the stack somewhere else. They
# are removed, or pinned to the value the stack needs so that .env (never overriding) cannot win.
REMOVED_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_SECRET_KEY",
    "SLACK_SIGNING_SECRET",
    "CRON_TOKEN",
    "ENCRYPTED_FIELD_KEY",
    "SANDBOX_HOST",
)
STARTUP_SECONDS = 180
ADMIN_USERNAME = "admin"


class SandboxError(AssertionError):
    """The control API refused a request (its status and body are in the message)."""


class SandboxClient:
    """A small client for the sandbox's control API (``/sandbox/...``).

    Channels may be given as ids (``C…``) or names (``incidents`` or ``#incidents``).
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    # --- Transport -----------------------------------------------------------------------------

    def request(self, verb: str, path: str, body: JsonDict | None = None, **query: Any) -> Any:
        params = {key: value for key, value in query.items() if value is not None}
        url = self.base_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=verb)  # noqa: S310 (loopback)
        request.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise SandboxError(
                f"{verb} {path} answered {error.code}: {error.read()[:500]!r}"
            ) from error
        return json.loads(raw) if raw else None

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, **query)

    def post(self, path: str, body: JsonDict | None = None) -> Any:
        return self.request("POST", path, body or {})

    # --- Reading -------------------------------------------------------------------------------

    def state(self) -> JsonDict:
        return self.get("/sandbox/state")

    def channels(self) -> list[JsonDict]:
        return self.state()["channels"]

    def channel(self, channel: str) -> JsonDict | None:
        """The channel with this id or name, or None."""
        name = channel.lstrip("#")
        for found in self.channels():
            if found["id"] == channel or found["name"] == name:
                return found
        return None

    def channel_id(self, channel: str) -> str:
        if channel.startswith("#") or not channel[:1].isupper():
            found = self.channel(channel)
            if found is None:
                raise SandboxError(f"no channel {channel}")
            return str(found["id"])
        return channel

    def messages(self, channel: str, user: str | None = None) -> list[JsonDict]:
        """Messages in the channel, oldest first; with ``user``, their ephemeral ones too."""
        return self.get(f"/sandbox/channels/{self.channel_id(channel)}/messages", user=user)

    def views(self, user: str) -> list[JsonDict]:
        """The user's open modal stack, top last: ``{id, hash, view}`` each."""
        return self.get("/sandbox/views", user=user)

    def calls(self, method: str | None = None) -> list[JsonDict]:
        return self.get("/sandbox/calls", method=method)

    def deliveries(self) -> list[JsonDict]:
        return self.get("/sandbox/deliveries")

    def pending_deliveries(self) -> int:
        """Events the sandbox still has to deliver (queued, in flight, or waiting to retry)."""
        return int(self.get("/sandbox/deliveries/pending")["pending"])

    def changes(self, since: int, timeout: float = 5) -> int:
        return int(self.get("/sandbox/changes", since=since, timeout=timeout)["seq"])

    # --- Acting as a user ----------------------------------------------------------------------

    def command(self, user: str, channel: str, text: str, command: str = "/incident") -> JsonDict:
        body = {"user": user, "channel": self.channel_id(channel), "text": text}
        return self.post("/sandbox/act/command", {**body, "command": command})

    def message(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> str:
        body = {"user": user, "channel": self.channel_id(channel), "text": text}
        if thread_ts:
            body["thread_ts"] = thread_ts
        return str(self.post("/sandbox/act/message", body)["ts"])

    def click(self, user: str, action_id: str, *, channel: str | None = None, **fields: Any) -> Any:
        """A button or select in a message (``channel``, ``message_ts``) or a view (``view_id``)."""
        body: JsonDict = {"user": user, "action_id": action_id, **fields}
        if channel is not None:
            body["channel"] = self.channel_id(channel)
        return self.post("/sandbox/act/click", body)

    def submit(self, user: str, view_id: str, values: JsonDict) -> JsonDict:
        return self.post(
            "/sandbox/act/submit", {"user": user, "view_id": view_id, "values": values}
        )

    def close_view(self, user: str, view_id: str) -> Any:
        return self.post("/sandbox/act/close_view", {"user": user, "view_id": view_id})

    def pin(self, user: str, channel: str, ts: str) -> Any:
        return self.post(
            "/sandbox/act/pin", {"user": user, "channel": self.channel_id(channel), "ts": ts}
        )

    def unpin(self, user: str, channel: str, ts: str) -> Any:
        body = {"user": user, "channel": self.channel_id(channel), "ts": ts}
        return self.post("/sandbox/act/unpin", body)

    def react(self, user: str, channel: str, ts: str, name: str) -> Any:
        body = {"user": user, "channel": self.channel_id(channel), "ts": ts, "name": name}
        return self.post("/sandbox/act/react", body)

    # --- Test controls -------------------------------------------------------------------------

    def fault(self, method: str, **fields: Any) -> Any:
        """Make a Web API method misbehave (``latency_ms``, ``error``, ``status``, ``times``…)."""
        return self.post("/sandbox/faults", {"method": method, **fields})

    def clear_faults(self) -> Any:
        return self.request("DELETE", "/sandbox/faults")

    def reset(self) -> Any:
        return self.post("/sandbox/reset")

    def socket(self) -> JsonDict:
        """Socket Mode's connections: ``connected``, ``connections``, ``connections_opened``."""
        return self.get("/sandbox/socket")

    def ask_socket_to_reconnect(self, reason: str = "refresh_requested") -> int:
        """Send Socket Mode clients ``disconnect``, as Slack does; how many were asked."""
        return int(self.post("/sandbox/socket/reconnect", {"reason": reason})["asked"])

    def drop_socket(self) -> int:
        """Cut Socket Mode connections with no goodbye, as a network failure does."""
        return int(self.post("/sandbox/socket/drop")["dropped"])

    def hold_socket_acks(self, events: int = 1) -> int:
        """Take the acks of the next ``events`` events as too late, so they are sent again."""
        return int(self.post("/sandbox/socket/hold_acks", {"events": events})["to_hold"])

    def wait_for_socket(self, opened: int = 1, timeout: float = 60) -> JsonDict:
        """Until a client is connected, having opened at least ``opened`` connections in all."""
        return self.wait_for(
            lambda: (
                (state := self.socket())["connected"]
                and state["connections_opened"] >= opened
                and state
            ),
            timeout=timeout,
            message=f"Socket Mode connection number {opened}",
        )

    def wait_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 30,
        message: str = "the condition",
    ) -> T:
        """Poll ``predicate`` until it returns something truthy; wakes up on every change."""
        deadline = time.monotonic() + timeout
        seq = 0
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
            # Long-poll on the sandbox's change counter; the cap keeps work done elsewhere
            # (Response's database, say) from being missed for long.
            seq = self.changes(seq, timeout=min(remaining, 1.0))


@dataclass
class SandboxStack:
    response_url: str
    sandbox_url: str
    sandbox: SandboxClient
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    admin_username: str = ADMIN_USERNAME
    admin_password: str = ""

    def log(self) -> str:
        """Everything ``make run`` printed so far (web, worker, cron and sandbox)."""
        return self.log_path.read_text(errors="replace")

    def api(self, path: str, **query: Any) -> Any:
        """GET Response's REST API (``/core/...``) as the admin the stack created."""
        params = {key: value for key, value in query.items() if value is not None}
        url = self.response_url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        request = urllib.request.Request(url)  # noqa: S310 (loopback)
        credentials = f"{self.admin_username}:{self.admin_password}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
        request.add_header("Accept", "application/json")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read())


def _environment(
    data_dir: Path, response_port: int, sandbox_port: int, admin_password: str, transport: str
) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in REMOVED_VARIABLES}
    env.update(
        RESPONSE_DATA_DIR=str(data_dir),
        RESPONSE_PORT=str(response_port),
        SANDBOX_PORT=str(sandbox_port),
        SANDBOX_RESPONSE_URL=f"http://127.0.0.1:{response_port}",
        SANDBOX_STATE_FILE=str(data_dir / "sandbox-state.json"),
        # Pinned (not removed) so that a developer's .env cannot point the stack elsewhere.
        DATABASE_URL="",
        SLACK_TOKEN="",
        SLACK_API_BASE_URL=f"http://127.0.0.1:{sandbox_port}/api/",
        SLACK_TRANSPORT=transport,
        SLACK_APP_TOKEN="",  # the sandbox's own app-level token, Response's default against it
        SITE_URL=f"http://localhost:{response_port}",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        DJANGO_DEBUG="1",
        INCIDENT_CHANNEL_NAME="incidents",
        INCIDENT_CHANNEL_ID="",
        INCIDENT_BOT_NAME="incident",
        RESPONSE_PLUGINS="",
        # make run creates this login, for the web UI and the REST API.
        DJANGO_SUPERUSER_USERNAME=ADMIN_USERNAME,
        DJANGO_SUPERUSER_EMAIL="admin@response-sandbox.example",
        DJANGO_SUPERUSER_PASSWORD=admin_password,
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def start_stack(workdir: Path, transport: str = "http") -> SandboxStack:
    response_port, sandbox_port = free_port(), free_port()
    data_dir = workdir / "data"
    log_path = workdir / "make-run.log"
    admin_password = secrets.token_urlsafe(12)
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "response.runner"],
        cwd=ROOT,
        env=_environment(data_dir, response_port, sandbox_port, admin_password, transport),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in the terminal running pytest is ours to forward
    )
    log_file.close()
    stack = SandboxStack(
        response_url=f"http://127.0.0.1:{response_port}",
        sandbox_url=f"http://127.0.0.1:{sandbox_port}",
        sandbox=SandboxClient(f"http://127.0.0.1:{sandbox_port}"),
        data_dir=data_dir,
        log_path=log_path,
        process=process,
        admin_password=admin_password,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    waiting_for = [f"{stack.response_url}/healthz", f"{stack.sandbox_url}/sandbox/state"]
    while waiting_for:
        if process.poll() is not None:
            raise RuntimeError(f"make run exited early:\n{stack.log()}")
        if time.monotonic() > deadline:
            stop_stack(stack)
            raise RuntimeError(f"{waiting_for[0]} did not answer in time:\n{stack.log()}")
        if _answers(waiting_for[0]):
            waiting_for.pop(0)
        else:
            time.sleep(0.3)
    if transport == "socket":
        try:
            stack.sandbox.wait_for_socket(timeout=max(deadline - time.monotonic(), 1))
        except AssertionError as error:
            stop_stack(stack)
            raise RuntimeError(f"{error}:\n{stack.log()}") from error
    return stack


def stop_stack(stack: SandboxStack) -> None:
    """Ctrl-C, as a person would; the runner stops its processes, then the database."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait(timeout=10)


@pytest.fixture(scope="session")
def sandbox_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxStack]:
    """Response and the sandbox, running as ``make run`` runs them, for the whole session."""
    stack = start_stack(tmp_path_factory.mktemp("sandbox-stack"))
    try:
        yield stack
    finally:
        stop_stack(stack)


@pytest.fixture(scope="session")
def socket_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxStack]:
    """As ``sandbox_stack``, with ``SLACK_TRANSPORT=socket``: deliveries over Socket Mode."""
    stack = start_stack(tmp_path_factory.mktemp("socket-stack"), transport="socket")
    try:
        yield stack
    finally:
        stop_stack(stack)
