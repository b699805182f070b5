"""The load balancer the fault drill puts in front of several web processes (``--web N``): each
request goes to the next process in turn, and past one that is down."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.fault_proxy import Proxy, round_robin_proxy
from bench.run import free_port


class _Named(BaseHTTPRequestHandler):
    """Answers with its server's name, so a test can tell which process served a request."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.server.name.encode() + b":" + self.rfile.read(length)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def web_processes() -> Iterator[list[str]]:
    servers = []
    for name in ("web1", "web2"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Named)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def balancer_for() -> Iterator:
    started: list[Proxy] = []

    def start(upstreams: list[str]) -> Proxy:
        started.append(round_robin_proxy(upstreams))
        return started[-1]

    yield start
    for proxy in started:
        proxy.stop()


def _post(url: str, body: bytes) -> str:
    request = urllib.request.Request(f"{url}/slack/event", data=body, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (loopback)
        return answer.read().decode()


def test_requests_take_turns_across_the_web_processes(web_processes, balancer_for):
    balancer = balancer_for(web_processes)

    answers = [_post(balancer.url, f"request {n}".encode()) for n in range(4)]

    assert answers == ["web1:request 0", "web2:request 1", "web1:request 2", "web2:request 3"]


def test_a_web_process_that_is_down_is_passed_over(web_processes, balancer_for):
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connections are refused
    balancer = balancer_for([down, web_processes[1]])

    answers = [_post(balancer.url, b"ping") for _ in range(3)]

    assert answers == ["web2:ping"] * 3
