"""Acknowledgement latency, throughput and Slack calls of Response (SPEC §13): ``make bench``.

Starts everything it measures on this machine, the production way, and stops it all at the end
(Ctrl-C included):

* an embedded PostgreSQL in a temporary directory, migrated;
* a stand-in Slack Web API (``tests.slack.fake_slack.FakeSlack``) that waits ``--slack-latency``
  before every answer, with the usual ``#incidents`` channel;
* ``gunicorn response.wsgi:application`` with production settings, and the job worker.

Then, with correctly signed requests sent open-loop (at fixed times, whatever the answers take, so
that a slow answer cannot hide the ones queued behind it):

1. one standard incident lifecycle alone (declare, create the channel, five commands, two pins,
   close), counting the Web API calls the stand-in receives, and the time from the submission to
   the headline;
2. a realistic mix at ``--rate`` requests/s for ``--duration`` seconds;
3. the same mix again over Socket Mode: ``manage.py slack_socket`` connected to a Socket Mode
   server (the sandbox's, ``sandbox.socket_mode``), every request sent as an envelope and timed
   until its acknowledgement, for the latency of both transports side by side;
4. a ramp of events alone, step by step, until Response saturates.

The report is printed and written as JSON to ``bench/results/<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import http.client
import itertools
import json
import math
import os
import platform
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sandbox.socket_mode import APP_TOKEN, SocketMode, envelope_payload
from slack.incoming.signature import compute_signature
from tests.slack.fake_slack import INCIDENTS_CHANNEL_ID, FakeSlack, JsonDict, Reply

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FIXTURES = ROOT / "tests" / "slack" / "fixtures"
HOST = "127.0.0.1"
SATURATION_P99_MS = 3000.0
REQUEST_TIMEOUT = 10.0


# --- The stand-in Slack, slow like the real one -----------------------------------------------


class SlowSlack(FakeSlack):
    """``FakeSlack`` answering every authenticated, unscripted call after ``latency`` seconds."""

    def __init__(self, latency: float) -> None:
        super().__init__(HOST, 0)
        self.latency = latency

    def _answer(self, method: str, params: JsonDict) -> Reply:
        if self.latency > 0:
            time.sleep(self.latency)
        return super()._answer(method, params)


# --- Signed requests ---------------------------------------------------------------------------


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@dataclass
class Request:
    kind: str
    path: str
    body: bytes
    content_type: str


@dataclass
class Result:
    kind: str
    scheduled: float  # perf_counter when it was due
    started: float
    ended: float
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def latency_ms(self) -> float:
        """From when the request was due, so time waiting for a free sender counts too."""
        return (self.ended - self.scheduled) * 1000


class Traffic:
    """Builds the requests Slack would send, with unique ids where Slack's would be unique."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self.comms_channels: list[str] = []
        self.submissions: list[tuple[str, float]] = []  # (title, wall time sent)

    def number(self) -> int:
        return next(self._numbers)

    @staticmethod
    def form(kind: str, path: str, fields: dict[str, str]) -> Request:
        body = urlencode(fields).encode()
        return Request(kind, path, body, "application/x-www-form-urlencoded")

    def slash(self, text: str, kind: str = "slash_command") -> Request:
        n = self.number()
        fields = {**fixture("slash_command"), "text": text, "trigger_id": f"1.2.bench{n}"}
        return self.form(kind, "/slack/slash_command", fields)

    def submission(self, title: str) -> Request:
        payload = fixture("declare_view_submission")
        n = self.number()
        payload["view"]["id"] = f"VBENCH{n:08d}"
        payload["trigger_id"] = f"1.2.bench{n}"
        payload["view"]["state"]["values"]["title"]["title"]["value"] = title
        with self._lock:
            self.submissions.append((title, time.time()))
        return self.form("view_submission", "/slack/action", {"payload": json.dumps(payload)})

    def click(self, action_id: str, incident_id: int, kind: str = "button_click") -> Request:
        payload = fixture("declare_headline_click")
        n = self.number()
        payload["trigger_id"] = f"1.2.bench{n}"
        payload["actions"][0].update(
            action_id=action_id, value=str(incident_id), action_ts=f"{time.time():.6f}"
        )
        return self.form(kind, "/slack/action", {"payload": json.dumps(payload)})

    def event(self, name: str, channel: str, kind: str, **fields: Any) -> Request:
        envelope = fixture(name)
        n = self.number()
        envelope["event_id"] = f"EvBENCH{n:010d}"
        envelope["event_time"] = int(time.time())
        ts = f"{time.time():.6f}"
        event = envelope["event"]
        for key in ("ts", "event_ts"):
            if key in event:
                event[key] = ts
        for key in ("channel", "channel_id"):
            if key in event:
                event[key] = channel
        if "item" in event:
            event["item"]["channel"] = channel
            event["item"]["message"]["ts"] = f"{1700000000 + n}.000100"
        event.update(fields)
        return Request(kind, "/slack/event", json.dumps(envelope).encode(), "application/json")

    def comms_event(self, kind: str) -> Request:
        channel = self.comms_channels[self.number() % len(self.comms_channels)]
        if kind == "event_app_mention":
            return self.event("event_app_mention", channel, kind, text="<@UBOT> help")
        return self.event("event_message", channel, kind, text="Looking at the dashboards now")


# --- The load driver ---------------------------------------------------------------------------


class Driver:
    """Sends requests at fixed times from a pool of threads with keep-alive connections."""

    def __init__(self, port: int, secret: str, threads: int) -> None:
        self.port = port
        self.secret = secret
        self.threads = threads

    def connect(self) -> http.client.HTTPConnection | None:
        return http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)

    def send(self, connection: http.client.HTTPConnection | None, request: Request) -> int:
        assert connection is not None
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": request.content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": compute_signature(
                secret=self.secret, timestamp=timestamp, body=request.body
            ),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        connection.request("POST", request.path, body=request.body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.will_close:
            connection.close()
        return response.status

    def one(self, request: Request) -> Result:
        """A single request, on its own connection (for the lifecycle)."""
        connection = self.connect()
        try:
            return self._timed(connection, request.kind, lambda: request, time.perf_counter())
        finally:
            if connection is not None:
                connection.close()

    def _timed(
        self,
        connection: http.client.HTTPConnection | None,
        kind: str,
        build: Callable[[], Request],
        due: float,
    ) -> Result:
        started = time.perf_counter()
        try:
            request = build()
            kind = request.kind
            status = self.send(connection, request)
        except (OSError, http.client.HTTPException) as error:
            if connection is not None:
                connection.close()
            return Result(kind, due, started, time.perf_counter(), None, type(error).__name__)
        return Result(kind, due, started, time.perf_counter(), status)

    def run(self, rate: float, duration: float, plan: Callable[[int], Request]) -> list[Result]:
        """``rate`` requests/s for ``duration`` s; request ``i`` is ``plan(i)``, built when due."""
        total = max(1, round(rate * duration))
        due: queue.Queue[tuple[int, float] | None] = queue.Queue()
        results: list[Result] = []
        lock = threading.Lock()

        def sender() -> None:
            connection = self.connect()
            try:
                while (item := due.get()) is not None:
                    index, when = item
                    result = self._timed(connection, "?", lambda i=index: plan(i), when)
                    with lock:
                        results.append(result)
            finally:
                if connection is not None:
                    connection.close()

        pool = [threading.Thread(target=sender, daemon=True) for _ in range(self.threads)]
        for thread in pool:
            thread.start()
        start = time.perf_counter() + 0.05
        for index in range(total):
            when = start + index / rate
            delay = when - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            due.put((index, when))
        for _ in pool:
            due.put(None)
        for thread in pool:
            thread.join()
        return results


class SocketDriver(Driver):
    """The same requests as envelopes on the Socket Mode connection Response holds, each timed
    until its acknowledgement; one not acknowledged in time counts as a timeout."""

    def __init__(self, socket_mode: SocketMode, threads: int) -> None:
        super().__init__(port=0, secret="", threads=threads)
        self.socket_mode = socket_mode

    def connect(self) -> None:
        return None  # one WebSocket, shared: Response opened it

    def send(self, connection: http.client.HTTPConnection | None, request: Request) -> int:
        sent = self.socket_mode.send(request.path, envelope_payload(request.path, request.body))
        if sent is None:
            raise ConnectionError("no Socket Mode connection")
        if not sent.acknowledged:
            raise TimeoutError("not acknowledged")
        return 200


def start_socket_mode(stack: Stack) -> SocketMode:
    """A Socket Mode server, handed out by the stand-in's apps.connections.open, and
    ``manage.py slack_socket`` connected to it."""
    socket_mode = SocketMode(HOST, REQUEST_TIMEOUT, app_token=APP_TOKEN)
    socket_mode.serve()
    assert stack.slack is not None
    stack.slack.on("apps.connections.open", lambda params: socket_mode.connections_open(APP_TOKEN))
    stack.socket_mode = socket_mode
    stack.start(
        "socket",
        [sys.executable, "manage.py", "slack_socket"],
        SLACK_TRANSPORT="socket",
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    wait_for(socket_mode.connected, "slack_socket to connect", timeout=60)
    return socket_mode


# --- Statistics --------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))  # nearest rank
    return ordered[index]


def distribution(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1),
    }


def summarise(results: list[Result]) -> dict[str, Any]:
    kinds: dict[str, list[Result]] = {}
    for result in results:
        kinds.setdefault(result.kind, []).append(result)
    kinds["all"] = results
    # Everything but the slash commands that must open a modal in the request (SPEC §4).
    kinds["all_but_views_open"] = [r for r in results if r.kind != "slash_modal"]
    summary: dict[str, Any] = {}
    for kind, group in kinds.items():
        errors = Counter(
            r.error or f"HTTP {r.status}" for r in group if not r.ok
        )  # timeouts, refusals, non-2xx
        summary[kind] = {
            "count": len(group),
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "latency_ms": distribution([r.latency_ms for r in group if r.ok]),
        }
    if results:
        elapsed = max(r.ended for r in results) - min(r.scheduled for r in results)
        ok = sum(r.ok for r in results)
        summary["all"]["throughput_rps"] = round(ok / elapsed, 1) if elapsed > 0 else None
    return summary


# --- Running Response --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The processes started, the directory they write to, and how to reach them."""

    workdir: Path
    env: dict[str, str]
    port: int
    slack: SlowSlack | None = None
    socket_mode: SocketMode | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], **extra_env: str) -> None:
        log = (self.workdir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            argv, cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT
        )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.slack is not None:
            self.slack.stop()
        if self.socket_mode is not None:
            self.socket_mode.stop()


def scrape_metrics(stack: Stack) -> dict[str, Any]:
    """One scrape after the load: proof that the figures were being kept, and what it costs."""
    connection = http.client.HTTPConnection(HOST, stack.port, timeout=REQUEST_TIMEOUT)
    started = time.monotonic()
    connection.request(
        "GET", "/metrics", headers={"Authorization": f"Bearer {stack.env['METRICS_TOKEN']}"}
    )
    answer = connection.getresponse()
    body = answer.read().decode()
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    connection.close()
    if answer.status != 200:
        raise RuntimeError(f"/metrics answered {answer.status}: {body[:500]}")
    samples = [line for line in body.splitlines() if line and not line.startswith("#")]
    return {"ms": elapsed_ms, "samples": len(samples), "bytes": len(body)}


def production_env(database_url: str, port: int, slack_api_url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SLACK_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SLACK_API_BASE_URL=slack_api_url,
        SLACK_TOKEN="xoxb-bench-" + secrets.token_hex(8),
        SLACK_SIGNING_SECRET=secret,
        CRON_TOKEN=secrets.token_urlsafe(32),
        ENCRYPTED_FIELD_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://{HOST}:{port}",
        WHITENOISE_USE_FINDERS="1",
        PYTHONUNBUFFERED="1",
    )
    for name in ("INCIDENT_CHANNEL_ID", "RESPONSE_PLUGINS", "DATABASE_URL_TEST"):
        env.pop(name, None)
    return env


def wait_healthy(
    stack: Stack, timeout: float = 60, *, port: int | None = None, name: str = "web"
) -> None:
    """Until the web process ``name`` (on ``port``, the stack's own by default) answers
    ``/healthz``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection(HOST, port or stack.port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn ({name}) did not answer /healthz:\n{stack.tail(name)}")


class Database:
    """The look-ups the benchmark and the fault drill need, over a connection of their own,
    shared by threads, connected again if the server cut it (as the drill does)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._url = url
        self._psycopg = psycopg
        self._lock = threading.Lock()
        self._connect()

    def _connect(self) -> None:
        self.connection = self._psycopg.connect(self._url, autocommit=True)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self.connection.execute(sql, params).fetchall()
            except self._psycopg.OperationalError:
                self._connect()
                return self.connection.execute(sql, params).fetchall()

    def value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def pending_jobs(self) -> int:
        return int(
            self.value(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
                "AND (scheduled_at IS NULL OR scheduled_at <= now())"
            )
        )

    def wait_idle(self, stack: Stack, timeout: float = 30, quiet: float = 0.3) -> bool:
        """Until no job is due and Slack has had no call for ``quiet`` s; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stack.check_alive()
            calls = stack.slack.calls()
            last = calls[-1].at if calls else 0.0
            if self.pending_jobs() == 0 and time.time() - last > quiet + stack.slack.latency:
                return True
            time.sleep(0.1)
        return False


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def headline_at(slack: SlowSlack, title: str) -> float | None:
    """When the headline of the incident titled ``title`` reached the stand-in."""
    for call in slack.calls("chat.postMessage"):
        if call.params.get("channel") == INCIDENTS_CHANNEL_ID and title in json.dumps(
            call.params, ensure_ascii=False
        ):
            return call.at
    return None


# --- The scenarios -----------------------------------------------------------------------------


def declare(driver: Driver, traffic: Traffic, db: Database, title: str) -> int:
    result = driver.one(traffic.submission(title))
    if not result.ok:
        raise RuntimeError(f"declaring {title!r} failed: {result.status} {result.error}")
    return int(db.value("SELECT id FROM core_incident WHERE title = %s", (title,)))


def open_channel(driver: Driver, traffic: Traffic, db: Database, incident_id: int) -> str:
    driver.one(traffic.click("create-comms-channel-button", incident_id))
    return wait_for(
        lambda: db.value(
            "SELECT channel_id FROM slack_commschannel WHERE incident_id = %s", (incident_id,)
        ),
        f"the comms channel of incident {incident_id}",
    )


def lifecycle(stack: Stack, driver: Driver, traffic: Traffic, db: Database) -> dict[str, Any]:
    """One standard incident, step by step, each step's jobs done before the next."""
    steps: list[tuple[str, Callable[[], Any]]] = []
    state: dict[str, Any] = {}
    title = "Lifecycle payments are failing"
    commands = [
        "lead <@U0BOB>",
        "severity critical",
        "summary Card payments fail at checkout",
        "impact Customers cannot pay",
        "action Add an alert on 502s",
    ]

    def declare_step() -> None:
        driver.one(traffic.slash("payments are failing"))
        state["sent"] = time.time()
        state["incident"] = declare(driver, traffic, db, title)

    def channel_step() -> None:
        state["channel"] = open_channel(driver, traffic, db, state["incident"])

    def say(text: str) -> Callable[[], Any]:
        return lambda: driver.one(
            traffic.event(
                "event_app_mention", state["channel"], "event_app_mention", text=f"<@UBOT> {text}"
            )
        )

    def pin() -> Any:
        return driver.one(traffic.event("event_pin_added", state["channel"], "event_pin_added"))

    steps.append(("declare", declare_step))
    steps.append(("create channel", channel_step))
    steps.extend((f"command: {text.split()[0]}", say(text)) for text in commands)
    steps.extend([("pin", pin), ("pin", pin), ("close", say("close"))])

    db.wait_idle(stack)
    first = len(stack.slack.calls())
    per_step: list[dict[str, Any]] = []
    for name, run in steps:
        before = len(stack.slack.calls())
        run()
        if not db.wait_idle(stack):
            raise RuntimeError(f"the worker did not finish the lifecycle step {name!r}")
        made = Counter(c.method for c in stack.slack.calls()[before:])
        per_step.append({"step": name, "calls": sum(made.values()), "by_method": dict(made)})
    calls = Counter(c.method for c in stack.slack.calls()[first:])
    headline = headline_at(stack.slack, title)
    return {
        "total_calls": sum(calls.values()),
        "by_method": dict(sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_step": per_step,
        "submission_to_headline_ms": (
            round((headline - state["sent"]) * 1000, 1) if headline else None
        ),
    }


MIX = {  # per 40 requests, spread evenly
    "event_message": 24,
    "event_app_mention": 6,
    "slash_help": 2,
    "slash_modal": 4,
    "view_submission": 2,
    "button_click": 2,
}


def mix_cycle() -> list[str]:
    slots = [
        ((i + 0.5) / count, kind) for kind, count in MIX.items() for i in range(count)
    ]  # even spacing of each kind across the cycle
    return [kind for _, kind in sorted(slots)]


def mixed(traffic: Traffic, db: Database, run_id: str) -> Callable[[int], Request]:
    cycle = mix_cycle()
    base = int(db.value("SELECT coalesce(max(id), 0) FROM core_incident"))
    declared = itertools.count(1)
    clicked: deque[int] = deque()
    lock = threading.Lock()

    def plan(index: int) -> Request:
        kind = cycle[index % len(cycle)]
        if kind == "slash_help":
            return traffic.slash("help", kind)
        if kind == "slash_modal":
            return traffic.slash("checkout is slow", kind)
        if kind == "view_submission":
            with lock:
                n = next(declared)
                clicked.append(base + n)
            return traffic.submission(f"Bench {run_id} incident {n:06d} checkout errors")
        if kind == "button_click":
            with lock:
                target = clicked.popleft() if clicked else None
            if target is not None:
                return traffic.click("create-comms-channel-button", target)
            kind = "event_message"
        return traffic.comms_event(kind)

    return plan


def events_only(traffic: Traffic) -> Callable[[int], Request]:
    def plan(index: int) -> Request:
        return traffic.comms_event("event_app_mention" if index % 5 == 4 else "event_message")

    return plan


def ramp(driver: Driver, traffic: Traffic, steps: list[float], seconds: float) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    saturated: dict[str, Any] | None = None
    for rate in steps:
        summary = summarise(driver.run(rate, seconds, events_only(traffic)))["all"]
        row = {"offered_rps": rate, **summary}
        rows.append(row)
        p99 = summary["latency_ms"].get("p99", float("inf"))
        achieved = summary.get("throughput_rps") or 0.0
        reasons = []
        if summary["errors"]:
            reasons.append(f"{summary['errors']} errors")
        if p99 > SATURATION_P99_MS:
            reasons.append(f"p99 {p99:.0f} ms > {SATURATION_P99_MS:.0f} ms")
        if achieved < 0.9 * rate:
            reasons.append(f"throughput {achieved} req/s < 90% of {rate:g} offered")
        if best and achieved < 1.05 * best["throughput_rps"]:
            reasons.append("throughput stopped rising")
        row["saturated"] = reasons
        print(
            f"  ramp {rate:6.0f} req/s: achieved {achieved:6.1f}, "
            f"p50 {summary['latency_ms'].get('p50', float('nan')):7.1f} ms, "
            f"p99 {p99:7.1f} ms, errors {summary['errors']}"
            + (f"  <- saturated: {'; '.join(reasons)}" if reasons else ""),
            flush=True,
        )
        if reasons:
            saturated = row
            break
        best = row
    return {
        "step_seconds": seconds,
        "steps": rows,
        "max_sustained_rps": best["throughput_rps"] if best else None,
        "saturated_at_offered_rps": saturated["offered_rps"] if saturated else None,
        "throughput_at_saturation_rps": saturated.get("throughput_rps") if saturated else None,
    }


# --- Report ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def latency_table(summary: dict[str, Any]) -> Iterator[str]:
    yield f"  {'kind':<20}{'count':>7}{'errors':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  ms"
    for kind, row in summary.items():
        lat = row["latency_ms"]
        cells = "".join(f"{lat.get(k, float('nan')):9.1f}" for k in ("p50", "p95", "p99", "max"))
        yield f"  {kind:<20}{row['count']:>7}{row['errors']:>8}{cells}"


def transport_table(http: dict[str, Any], socket: dict[str, Any]) -> Iterator[str]:
    columns = ("p50", "p95", "p99")
    head = "".join(f"{f'http {c}':>10}" for c in columns) + "".join(
        f"{f'socket {c}':>12}" for c in columns
    )
    yield f"  {'kind':<20}{head}{'errors h/s':>12}"
    for kind in http:
        h, s = http[kind], socket.get(kind, {"latency_ms": {}, "errors": 0})
        cells = "".join(f"{h['latency_ms'].get(c, float('nan')):10.1f}" for c in columns)
        cells += "".join(f"{s['latency_ms'].get(c, float('nan')):12.1f}" for c in columns)
        yield f"  {kind:<20}{cells}{h['errors']:>6}/{s['errors']}"


def drain_line(report: dict[str, Any]) -> str:
    mix = report["mix"]
    if mix["worker_drain_s"] is not None:
        return f"  the worker caught up {mix['worker_drain_s']} s after the load ended"
    return (
        f"  the worker had not caught up {report['config']['drain_wait_s']:g} s after the load "
        f"ended: {mix['jobs_left_after_drain_wait']} jobs still due"
    )


def saturation_line(ramp: dict[str, Any]) -> str:
    line = f"  max sustained {ramp['max_sustained_rps']} req/s; "
    if ramp["saturated_at_offered_rps"] is None:
        return line + "not saturated at the highest rate offered"
    return line + (
        f"saturated at {ramp['saturated_at_offered_rps']:g} req/s offered "
        f"(throughput there {ramp['throughput_at_saturation_rps']} req/s)"
    )


def metrics_lines(scraped: dict[str, Any] | None) -> list[str]:
    if scraped is None:
        return []
    return [
        f"One /metrics scrape after the load: {scraped['samples']} samples, "
        f"{scraped['bytes']} bytes, {scraped['ms']} ms",
        "",
    ]


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    c = report["config"]
    out = [
        "",
        "=== Response benchmark ===",
        f"machine: {m['cpu_count']} CPUs, {m['cpu_model']}, Python {m['python']}; "
        f"load average before {m['load_average']}, after {report['load_average_after']}",
        f"gunicorn: {c['gunicorn_workers']} sync workers; stand-in Slack latency "
        f"{c['slack_latency_ms']:.0f} ms per Web API call; metrics "
        + ("on" if c["metrics"] else "off (no METRICS_TOKEN)"),
        "",
        f"Mix at {c['rate']:g} req/s for {c['duration']:g} s (acknowledgement latency):",
        *latency_table(report["mix"]["latency"]),
        f"  throughput {report['mix']['latency']['all'].get('throughput_rps')} req/s",
        f"  view_submission -> headline chat.postMessage: "
        f"{report['mix']['submission_to_headline_ms']} "
        f"({report['mix']['headlines_seen']}/{report['mix']['submissions']} headlines seen)",
        drain_line(report),
        "",
        "The same mix, acknowledgement latency over HTTP and over Socket Mode (ms):",
        *transport_table(report["mix"]["latency"], report["socket_mix"]["latency"]),
        "",
        f"Ramp of events alone ({report['ramp']['step_seconds']:g} s a step):",
        saturation_line(report["ramp"]),
        "",
        "One incident lifecycle alone (declare, create channel, five commands, two pins, close):",
        f"  {report['lifecycle']['total_calls']} Slack Web API calls: "
        + ", ".join(f"{k} {v}" for k, v in report["lifecycle"]["by_method"].items()),
        *(
            f"    {s['step']:<20}{s['calls']:>3}  "
            + ", ".join(f"{k} {v}" for k, v in sorted(s["by_method"].items()))
            for s in report["lifecycle"]["by_step"]
        ),
        f"  view_submission -> headline alone: "
        f"{report['lifecycle']['submission_to_headline_ms']} ms",
        "",
        *metrics_lines(report["metrics_scrape"]),
        f"JSON: {report['path']}",
    ]
    print("\n".join(out), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50, help="mix rate, requests/s (50)")
    parser.add_argument("--duration", type=float, default=30, help="mix duration, s (30)")
    parser.add_argument(
        "--slack-latency", type=float, default=100, help="ms per Web API call (100)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (3)")
    parser.add_argument(
        "--ramp", default="25,50,100,200,300,400", help="event rates of the ramp, req/s"
    )
    parser.add_argument("--ramp-step", type=float, default=8, help="seconds per ramp step (8)")
    parser.add_argument(
        "--drain", type=float, default=45, help="max seconds to wait for the worker after the mix"
    )
    parser.add_argument("--threads", type=int, default=64, help="load driver threads (64)")
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="turn /metrics on (METRICS_TOKEN; web and worker share one multi-process directory)",
    )
    args = parser.parse_args(argv)

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    workdir = Path(tempfile.mkdtemp(prefix="response-bench-"))
    # Registered first, so it runs last: after the embedded PostgreSQL has stopped.
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    stack: Stack | None = None
    try:
        from response.embedded_db import embedded_database_url

        print(f"Starting PostgreSQL in {workdir} ...", flush=True)
        database_url = embedded_database_url(workdir)
        os.environ["DATABASE_URL"] = database_url
        secret = secrets.token_urlsafe(32)
        slack = SlowSlack(args.slack_latency / 1000).start()
        port = free_port()
        env = production_env(database_url, port, slack.base_url, secret)
        if args.metrics:
            env["METRICS_TOKEN"] = secrets.token_urlsafe(32)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "metrics")
        stack = Stack(workdir, env, port, slack)
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=stack.env,
            check=True,
        )
        gunicorn = [python, "-m", "gunicorn", "response.wsgi:application"]
        stack.start(
            "web",
            [
                *gunicorn,
                # As startup.sh runs it: gunicorn's own settings, the metrics directory among them.
                "--config=python:response.gunicorn_conf",
                f"--bind={HOST}:{port}",
                f"--workers={args.workers}",
                "--access-logfile=-",
                "--forwarded-allow-ips=*",
            ],
        )
        stack.start("worker", [python, "manage.py", "procrastinate", "worker"])
        wait_healthy(stack)
        print(f"Response on {HOST}:{port}, stand-in Slack on {slack.base_url}", flush=True)

        report = run_all(args, stack, Database(database_url), secret)
        print_report(report)
        return 0
    except KeyboardInterrupt:
        print("\nInterrupted; stopping everything.", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        if stack is not None:
            for name in stack.processes:
                print(f"--- {name} log (last lines) ---\n{stack.tail(name)}", file=sys.stderr)
        return 1
    finally:
        if stack is not None:
            stack.stop()


def run_all(args: argparse.Namespace, stack: Stack, db: Database, secret: str) -> dict[str, Any]:
    driver = Driver(stack.port, secret, args.threads)
    traffic = Traffic()
    load_before = [round(x, 2) for x in os.getloadavg()]
    run_id = datetime.now(UTC).strftime("%H%M%S")

    print("Lifecycle of one incident, alone ...", flush=True)
    life = lifecycle(stack, driver, traffic, db)

    print("Preparing comms channels for the events ...", flush=True)
    for n in range(4):
        incident = declare(driver, traffic, db, f"Bench {run_id} channel {n}")
        traffic.comms_channels.append(open_channel(driver, traffic, db, incident))
    db.wait_idle(stack)
    # Warm every gunicorn worker (imports, connections) before measuring.
    driver.run(20, 1, events_only(traffic))
    db.wait_idle(stack)

    print(f"Mix at {args.rate:g} req/s for {args.duration:g} s ...", flush=True)
    first_submission = len(traffic.submissions)
    mix_results = driver.run(args.rate, args.duration, mixed(traffic, db, run_id))
    ended = time.monotonic()
    stack.check_alive()
    drained = db.wait_idle(stack, timeout=args.drain)
    drain_s = round(time.monotonic() - ended, 1) if drained else None
    backlog = 0 if drained else db.pending_jobs()
    submissions = traffic.submissions[first_submission:]
    delays = []
    for title, sent in submissions:
        at = headline_at(stack.slack, title)
        if at is not None:
            delays.append((at - sent) * 1000)

    print(
        f"The same mix over Socket Mode, {args.rate:g} req/s for {args.duration:g} s ...",
        flush=True,
    )
    socket_driver = SocketDriver(start_socket_mode(stack), args.threads)
    socket_driver.run(20, 1, events_only(traffic))  # warm the socket process, as the web above
    db.wait_idle(stack, timeout=args.drain)
    socket_results = socket_driver.run(args.rate, args.duration, mixed(traffic, db, run_id + "s"))
    stack.check_alive()
    db.wait_idle(stack, timeout=args.drain)

    print("Ramp of events alone ...", flush=True)
    steps = [float(x) for x in args.ramp.split(",") if x.strip()]
    ramped = ramp(driver, traffic, steps, args.ramp_step)
    stack.check_alive()

    scraped = scrape_metrics(stack) if args.metrics else None

    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average": load_before},
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "config": {
            "rate": args.rate,
            "duration": args.duration,
            "slack_latency_ms": args.slack_latency,
            "gunicorn_workers": args.workers,
            "driver_threads": args.threads,
            "mix_per_40_requests": MIX,
            "ramp_rps": steps,
            "drain_wait_s": args.drain,
            "metrics": args.metrics,
        },
        "mix": {
            "latency": summarise(mix_results),
            "submissions": len(submissions),
            "headlines_seen": len(delays),
            "submission_to_headline_ms": distribution(delays),
            "worker_drain_s": drain_s,
            "jobs_left_after_drain_wait": backlog,
        },
        "socket_mix": {"latency": summarise(socket_results)},
        "ramp": ramped,
        "lifecycle": life,
        "metrics_scrape": scraped,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["path"] = str(path.relative_to(ROOT))
    return report


if __name__ == "__main__":
    sys.exit(main())
