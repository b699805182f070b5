"""The job worker's figures over HTTP: ``python -m response.metrics.exporter``.

The worker serves no HTTP of its own. Where it runs in a container or pod apart from the web
server (docker compose, Kubernetes), it writes its figures to a multi-process directory
(``PROMETHEUS_MULTIPROC_DIR``) that it shares with this small process beside it, which sums
every file there at each scrape, as ``/metrics`` does for gunicorn's workers. Several workers
sharing one directory add up the same way. It reads no database: the queue backlog and the
open incidents are the web's to report, once.

``METRICS_PORT`` (default 8001) is where it listens, behind the same ``METRICS_TOKEN`` rule as
``/metrics`` (``response.metrics.access``); ``/healthz`` answers 200 for a probe.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from response import metrics
from response.metrics import access

logger = logging.getLogger("response.metrics.exporter")

DEFAULT_PORT = 8001
StartResponse = Callable[..., object]


def make_app(token: str) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """A WSGI app: ``/metrics`` for whoever holds ``token``, ``/healthz`` for probes."""
    serve = make_wsgi_app(metrics.scrape_registry())

    def app(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _plain(start_response, 200, "ok\n")
        if path != "/metrics" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _plain(start_response, 404, "not found\n")
        refused = access.refusal(authorization=environ.get("HTTP_AUTHORIZATION", ""), token=token)
        if refused is not None:
            if refused is access.WRONG_TOKEN:
                logger.warning("refused a metrics scrape without the right token")
            extra = [("WWW-Authenticate", refused.challenge)] if refused.challenge else []
            return _plain(start_response, refused.status, refused.reason, extra)
        return serve(environ, start_response)

    return app


def _plain(
    start_response: StartResponse, status: int, text: str, extra: list | None = None
) -> list[bytes]:
    reasons = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    start_response(
        f"{status} {reasons[status]}",
        [("Content-Type", "text/plain; charset=utf-8"), *(extra or [])],
    )
    return [text.encode()]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Prometheus scrapes every few seconds: a line each would drown the worker's own."""


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if metrics.multiproc_dir() is None:
        print(
            "PROMETHEUS_MULTIPROC_DIR must name the directory the worker writes to", file=sys.stderr
        )
        return 2
    # It may start before the worker has made the directory (in a pod it is a volume already).
    directory = Path(metrics.multiproc_dir() or "")
    if not directory.is_dir():
        directory.mkdir(parents=True)
    port = int(os.environ.get("METRICS_PORT") or DEFAULT_PORT)
    server = make_server(
        "", port, make_app(os.environ.get("METRICS_TOKEN", "")), ThreadingWSGIServer, _QuietHandler
    )

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    logger.info("serving the worker's figures on port %s", port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
