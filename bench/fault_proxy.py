"""Two HTTP proxies for the fault drill (``bench/faults.py``): one between Response and Slack's
Web API that breaks a seeded share of the calls, one between Slack and Response that holds back
some event deliveries so that Slack retries them, and times Response's own answers.

Faults towards the Web API, drawn from the seed so that a run can be repeated: the fault of the
n-th call to a method depends on the seed, the method and n only (see ``FaultPlan``), not on how
calls made at once by the web processes and the worker happen to interleave:

``rate_limited``   HTTP 429 with ``Retry-After`` (1 or 2 s); Slack never sees the call
``server_error``   HTTP 500 or 503 with an HTML body; Slack never sees the call
``refused``        the connection is closed before the call is passed on
``lost_answer``    the call is carried out by Slack, then the connection is closed unanswered
``slow_answer``    the call is carried out, and answered only after the client gave up

With several web processes, a third proxy, ``round_robin_proxy``, stands in for the load balancer
in front of them: each request goes to the next process, and past one that refuses connections.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import random
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Headers = list[tuple[str, str]]
FAULT_KINDS = ("rate_limited", "server_error", "refused", "lost_answer", "slow_answer")
# Headers not passed on: each hop has its own connection.
JSON = "application/json"
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind, with the ``Retry-After`` of a 429 and the status of a 5xx."""

    kind: str
    retry_after: int
    status: int


def _stream(*key: object) -> random.Random:
    """A generator of its own for one decision, seeded from the text of ``key``: the same key
    gives the same draws in every process (a string seed is hashed with SHA-512, not ``hash()``).
    """
    return random.Random(":".join(map(str, key)))  # noqa: S311 (repeatable faults, not secrets)


def fault_for(seed: int, rate: float, kinds: tuple[str, ...], method: str, n: int) -> Fault | None:
    """The fault of the ``n``-th call (from 0) to ``method``: a function of these alone."""
    draws = _stream("faults", seed, method, n)
    if draws.random() >= rate:
        return None
    return Fault(draws.choice(kinds), draws.choice((1, 2)), draws.choice((500, 503)))


@dataclass
class FaultPlan:
    """Which calls fail and how: ``rate`` of all calls, kinds drawn evenly, seeded.

    The fault sequence is, for each Web API method, the decisions for its 1st, 2nd, ... call, as
    the proxy receives them; each one depends on the seed, the method and the call's number only,
    so the same seed gives the same sequence however the calls of different methods interleave.
    """

    rate: float
    seed: int
    slow_answer_seconds: float = 3.0
    kinds: tuple[str, ...] = FAULT_KINDS
    injected: Counter = field(default_factory=Counter)
    calls: int = 0
    # Per method, the decision for each of its calls in order: the sequence the seed gave.
    decisions: dict[str, list[Fault | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def draw(self, method: str) -> Fault | None:
        with self._lock:
            self.calls += 1
            made = self.decisions.setdefault(method, [])
            fault = fault_for(self.seed, self.rate, self.kinds, method, len(made))
            made.append(fault)
            if fault is not None:
                self.injected[fault.kind] += 1
                self.injected[f"{fault.kind}:{method}"] += 1
            return fault


@dataclass
class AckRecord:
    path: str
    status: int
    seconds: float
    retry_num: str | None


def hold_for(seed: int, rate: float, n: int) -> bool:
    """Whether the ``n``-th first delivery of an event (from 0) is held back."""
    return _stream("acks", seed, n).random() < rate


@dataclass
class AckPlan:
    """Which event deliveries to hold back past Slack's 3 s, and what Response answered.

    Like the faults, the decision for the n-th first delivery of an event depends on the seed
    and n alone."""

    rate: float
    seed: int
    hold_seconds: float = 3.3
    held: int = 0
    answers: list[AckRecord] = field(default_factory=list)
    decisions: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def should_hold(self, path: str, retry_num: str | None) -> bool:
        # Only first deliveries of events: Slack retries those, not commands or clicks.
        if not path.endswith("/slack/event") or retry_num:
            return False
        with self._lock:
            hold = hold_for(self.seed, self.rate, len(self.decisions))
            self.decisions.append(hold)
            self.held += int(hold)
            return hold

    def record(self, record: AckRecord) -> None:
        with self._lock:
            self.answers.append(record)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], upstreams: list[str], plan: Any
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.upstreams = [_host_and_port(url) for url in upstreams]
        self._turns = itertools.count()
        self.plan = plan

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up on a kept-alive connection (a killed process, a dropped call)
        is what the drill does on purpose, not an error to print a traceback for."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def upstreams_in_turn(self) -> list[tuple[str, int]]:
        """Every upstream, starting with the next one's turn (round robin)."""
        start = next(self._turns) % len(self.upstreams)
        return self.upstreams[start:] + self.upstreams[:start]


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


class _Forwarding(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        raise NotImplementedError

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self, body: bytes, timeout: float = 30) -> tuple[int, Headers, bytes]:
        """The upstream's answer; with several, the next in turn that accepts the connection
        (as a load balancer skips a process that is down), or the last refusal."""
        upstreams = self.server.upstreams_in_turn()
        for n, (host, port) in enumerate(upstreams, start=1):
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except ConnectionRefusedError:
                if n == len(upstreams):
                    raise
            finally:
                connection.close()
        raise AssertionError("unreachable: a proxy has at least one upstream")

    def _reply(self, status: int, headers: Headers, body: bytes) -> None:
        with contextlib.suppress(OSError):
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _WebApiFaults(_Forwarding):
    """Response → Slack's Web API, with the plan's faults."""

    server: _Server

    def _handle(self) -> None:
        plan: FaultPlan = self.server.plan
        body = self._read()
        method = urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]
        fault = plan.draw(method)
        kind = fault.kind if fault else None
        if fault and kind == "rate_limited":
            payload = b'{"ok": false, "error": "ratelimited"}'
            wait = str(fault.retry_after)
            return self._reply(429, [("Retry-After", wait), ("Content-Type", JSON)], payload)
        if fault and kind == "server_error":
            html = b"<html>oops</html>"
            return self._reply(fault.status, [("Content-Type", "text/html")], html)
        if kind == "refused":
            return self._drop()
        status, headers, answer = self._forward(body)
        if kind == "lost_answer":
            return self._drop()
        if kind == "slow_answer":
            time.sleep(plan.slow_answer_seconds)
        self._reply(status, headers, answer)


class _SlowAcks(_Forwarding):
    """Slack → Response: some events held back past 3 s; every answer timed."""

    server: _Server

    def _handle(self) -> None:
        plan: AckPlan = self.server.plan
        body = self._read()
        retry_num = self.headers.get("X-Slack-Retry-Num")
        if plan.should_hold(self.path, retry_num):
            time.sleep(plan.hold_seconds)
        started = time.monotonic()
        try:
            status, headers, answer = self._forward(body)
        except OSError:
            plan.record(AckRecord(self.path, 0, time.monotonic() - started, retry_num))
            return self._drop()
        plan.record(AckRecord(self.path, status, time.monotonic() - started, retry_num))
        self._reply(status, headers, answer)


class _Plain(_Forwarding):
    """Passed on as it is: the load balancer in front of several web processes."""

    def _handle(self) -> None:
        body = self._read()
        try:
            status, headers, answer = self._forward(body)
        except OSError:
            return self._drop()
        self._reply(status, headers, answer)


class Proxy:
    """A running proxy: ``url`` to send to, ``stop()`` when done."""

    def __init__(self, handler: type[_Forwarding], upstreams: list[str], plan: Any) -> None:
        self._server = _Server(handler, upstreams, plan)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def web_api_proxy(slack_url: str, plan: FaultPlan) -> Proxy:
    """Faults between Response and ``slack_url`` (the sandbox)."""
    return Proxy(_WebApiFaults, [slack_url], plan)


def delivery_proxy(response_url: str, plan: AckPlan) -> Proxy:
    """Held-back events between Slack (the sandbox) and ``response_url``."""
    return Proxy(_SlowAcks, [response_url], plan)


def round_robin_proxy(web_urls: list[str]) -> Proxy:
    """One address for several web processes, each request to the next in turn."""
    return Proxy(_Plain, web_urls, None)
