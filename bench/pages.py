"""How fast every page and API listing answers at scale (SPEC §19): ``make bench-pages``.

Seeds ``--incidents`` incidents (as ``bench/insights.py`` does, over two years) and one incident of
``--entries`` timeline entries, follow-ups and a written postmortem (as ``bench/postmortem.py``
does), on an embedded PostgreSQL or a dedicated database on ``--database-url``. Then, in this
process, with production settings, through Django's test client signed in (middleware, session,
view, template or serializer; no network), times ``--requests`` requests to each route: the
incident list (first page, a title search, a filtered and a deep page), the document and the
postmortem of the big incident, and the API's listings (first page, offsets 50,000 and 90,000,
a title search, the big incident's timeline).

Prints p50, p95 and max per route against the 50 ms goal, the queries per request, and CPU time
per request of this process and of its PostgreSQL backend (see ``bench/insights.py``). It
measures; it does not fail on a slow run.

With ``--served``, the same routes are asked in turn over HTTP of one gunicorn worker started
as ``startup.sh`` starts it (``response.gunicorn_conf``), ``--served-requests`` in all: the
figures of a real server's process, whose slowest requests (the tail: p99, max) are set by
Python's garbage collections over everything the process holds.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0


def routes(big: int, entries: int) -> list[tuple[str, str]]:
    """(label, path) for every page and listing measured; ``big`` is the incident of ``entries``
    timeline entries."""
    return [
        ("list", "/"),
        # The page's search field is ``q`` (the API's is ``title``).
        ("list, title search", "/?q=incident+4242"),
        ("list, open critical", "/?status=open&severity=1"),
        ("list, page 500", "/?page=500"),
        (f"document ({entries:,} entries)", f"/incident/{big}/"),
        (f"postmortem ({entries:,} entries)", f"/incident/{big}/postmortem/"),
        ("API incidents", "/core/incidents/"),
        # Deep pages skip from the nearer end, so the middle is the deepest there is.
        ("API incidents offset 50,000", "/core/incidents/?offset=50000"),
        ("API incidents offset 90,000", "/core/incidents/?offset=90000"),
        ("API incidents, title search", "/core/incidents/?title=incident+4242"),
        ("API timeline of the big one", f"/core/timeline/?incident={big}"),
    ]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from bench.insights import run_on_a_database_of_its_own, scale_arguments

    parser = scale_arguments(__doc__.split("\n")[0], requests=40, seed=19)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument(
        "--served", action="store_true", help="time the routes through one gunicorn worker too"
    )
    parser.add_argument("--served-requests", type=int, default=1500)
    return run_on_a_database_of_its_own(parser.parse_args(argv), run)


def seeded_client(args: argparse.Namespace, entries: int) -> tuple[Any, int]:
    """The database seeded (``--incidents`` incidents and one of ``entries`` timeline entries),
    analysed, and a test client signed in; with the big incident's id."""
    from bench.insights import migrated_client, seed
    from bench.postmortem import seed as seed_big_incident
    from response.gc_tuning import freeze_what_is_loaded

    client = migrated_client()
    start = time.perf_counter()
    seed(args.incidents, args.seed)
    big = seed_big_incident(entries)
    _analyze()
    print(
        f"Seeded {args.incidents:,} incidents and one of {entries:,} timeline entries in "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    client.force_login(_bench_user())
    # As every gunicorn worker does once loaded (response/gunicorn_conf.py): without it, the
    # collections walking the seeding's leftovers would set the p95 of whichever route they hit.
    freeze_what_is_loaded()
    return client, big


def run(args: argparse.Namespace) -> int:
    from bench.insights import CpuMeter, percentile, query_count, time_requests

    client, big = seeded_client(args, args.entries)
    cpus = len(os.sched_getaffinity(0))
    print(f"{args.requests} requests each after {args.warmup} warm-up, {cpus} CPUs, test client")
    meter, missed = CpuMeter(), []
    for label, path in routes(big, args.entries):
        time_requests(client, path, args.warmup)
        took = time_requests(client, path, args.requests)
        p95 = percentile(took, 0.95)
        if p95 > TARGET_P95_MS:
            missed.append(label)
        print(
            f"  {label:<29} p50 {statistics.median(took):6.1f} ms   p95 {p95:6.1f} ms   "
            f"max {max(took):6.1f} ms   queries {query_count(client, path):>2}   "
            f"{meter.measure(client, path, max(10, args.requests // 2))}",
            flush=True,
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    verdict = f"missed by {', '.join(missed)}" if missed else "met by every route"
    print(f"Target: p95 under {TARGET_P95_MS:.0f} ms: {verdict}.")
    print(f"Load average during the run (1, 5, 15 min): {load}")
    if args.served:
        _time_served(args, client, big)
    return 0


def _time_served(args: argparse.Namespace, client, big: int) -> None:
    """Every route in turn, ``--served-requests`` in all, through one gunicorn worker."""
    from bench.insights import percentile
    from bench.run import HOST, Stack, free_port, wait_healthy

    paths = [path for _, path in routes(big, args.entries)]
    workdir = Path(tempfile.mkdtemp(prefix="response-bench-served-"))
    port = free_port()
    env = {**os.environ, "ALLOWED_HOSTS": os.environ["ALLOWED_HOSTS"] + f",{HOST}"}
    stack = Stack(workdir, env, port)
    stack.start(
        "web",
        [
            *(sys.executable, "-m", "gunicorn", "response.wsgi:application"),
            *("--config=python:response.gunicorn_conf", f"--bind={HOST}:{port}", "--workers=1"),
        ],
    )
    try:
        wait_healthy(stack)
        session = client.cookies["sessionid"].value
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        took: dict[str, list[float]] = {path: [] for path in paths}
        for n in range(len(paths) * args.warmup + args.served_requests):
            path = paths[n % len(paths)]
            start = time.perf_counter()
            connection.request(
                "GET", path, headers={"Cookie": f"sessionid={session}", **HTTPS_BEHIND_A_PROXY}
            )
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (path, response.status, stack.tail("web"))
            if n >= len(paths) * args.warmup:
                took[path].append((time.perf_counter() - start) * 1000)
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    every = [ms for durations in took.values() for ms in durations]
    slow = sum(ms > TARGET_P95_MS for ms in every)
    print(f"Through one gunicorn worker, every route in turn, {len(every)} requests:")
    print(
        f"  all routes   p50 {statistics.median(every):6.1f} ms   p95 "
        f"{percentile(every, 0.95):6.1f} ms   p99 {percentile(every, 0.99):6.1f} ms   max "
        f"{max(every):6.1f} ms   over {TARGET_P95_MS:.0f} ms: {slow}"
    )
    for label, path in routes(big, args.entries):
        p95, slowest = percentile(took[path], 0.95), max(took[path])
        print(f"  {label:<29} p95 {p95:6.1f} ms   max {slowest:6.1f} ms")


# The bench's gunicorn serves production settings, which expect HTTPS from a proxy in front.
HTTPS_BEHIND_A_PROXY = {"X-Forwarded-Proto": "https"}


def _bench_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="bench")


def _analyze() -> None:
    """Fresh planner statistics and visibility map, as autovacuum leaves them soon after a bulk
    load (index-only scans rely on the map)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    sys.exit(main())
