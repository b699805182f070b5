"""How fast the insights are with 100,000 incidents (SPEC §14): ``make bench-insights``.

1. Starts an embedded PostgreSQL in a temporary directory (as ``bench/run.py`` does), or, with
   ``--database-url``, creates a dedicated database on that server (and drops it at the end);
   migrates it.
2. Seeds ``--incidents`` incidents over the last two years with ``COPY``: every severity, every
   incident started and declared, most detected, acknowledged, mitigated and resolved, some still
   live, some reports, and a few drills, declined and merged incidents.
3. In this process, with production settings (``DJANGO_DEBUG=0``), through Django's test client
   signed in as a user (the whole request: middleware, session, view, template, CSV writer; no
   network): warms up, then times ``--requests`` requests to ``/insights/`` and to
   ``/insights.csv`` for the default period (the last twelve months), and counts their queries.

Prints p50, p95 and max per page, the queries per request, and the CPU time per request of this
process and of its PostgreSQL backend: other work on the machine inflates wall times, hardly CPU
times. It measures; it does not fail on a slow run. ``--cores 2`` pins this process and the
PostgreSQL it starts to two CPUs.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 300.0
SEVERITIES = ((1, 0.1), (2, 0.25), (3, 0.4), (4, 0.2), (None, 0.05))
# The rest are resolved.
ENDINGS = (
    ("drill", 0.03),
    ("declined", 0.04),
    ("merged", 0.02),
    ("live", 0.03),
    ("reported", 0.03),
)


def production_settings(database_url: str) -> None:
    """The environment of a production process, set before Django reads its settings."""
    for name in [name for name in os.environ if name.startswith(("DJANGO_", "SLACK_"))]:
        del os.environ[name]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SLACK_TOKEN="xoxb-bench-" + secrets.token_hex(8),
        SLACK_SIGNING_SECRET=secrets.token_urlsafe(32),
        SLACK_API_BASE_URL="http://127.0.0.1:9/api/",
        CRON_TOKEN=secrets.token_urlsafe(32),
        ENCRYPTED_FIELD_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="testserver,localhost",
        SITE_URL="http://localhost",
        WHITENOISE_USE_FINDERS="1",
    )


@contextlib.contextmanager
def dedicated_database(server_url: str | None) -> Iterator[str]:
    """A database of its own: an embedded server in a temporary directory, or a new database on
    ``server_url``'s server, dropped afterwards."""
    if server_url is None:
        from response.embedded_db import embedded_database_url

        workdir = Path(tempfile.mkdtemp(prefix="response-bench-insights-"))
        atexit.register(shutil.rmtree, workdir, ignore_errors=True)
        print(f"Starting PostgreSQL in {workdir} ...", flush=True)
        yield embedded_database_url(workdir)
        return
    import psycopg

    name = f"bench_insights_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pick(rng: random.Random, table) -> object:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def minutes(rng: random.Random, typical: float) -> timedelta:
    """A duration around ``typical`` minutes, long-tailed like real incidents."""
    return timedelta(minutes=rng.lognormvariate(0, 1) * typical)


def incident_rows(count: int, rng: random.Random, now: datetime) -> Iterator[tuple]:
    """(incident row, milestone rows) for ``count`` incidents over the last two years."""
    for pk in range(1, count + 1):
        started = now - timedelta(days=730) * rng.random() - timedelta(hours=6)
        ending = pick(rng, (*ENDINGS, ("resolved", 1 - sum(w for _, w in ENDINGS))))
        detected = started + minutes(rng, 8)
        declared = detected + minutes(rng, 4)
        milestones = {"started": started, "declared": declared}
        if rng.random() < 0.92:
            milestones["detected"] = detected
        if ending != "reported" and rng.random() < 0.95:
            milestones["acknowledged"] = declared + minutes(rng, 3)
        mitigated = declared + minutes(rng, 45)
        resolved = mitigated + minutes(rng, 90)
        if ending in ("resolved", "drill", "merged") and rng.random() < 0.9:
            milestones["mitigated"] = mitigated
        if ending in ("resolved", "drill", "reported"):
            milestones["resolved"] = resolved
        status = {
            "drill": "resolved",
            "live": "investigating",
            "declined": "declined",
            "merged": "merged",
            "reported": "reported",
        }.get(ending, "resolved")
        end_time = None if status == "investigating" else milestones.get("resolved", resolved)
        incident = (
            pk,
            f"Incident {pk}",
            pick(rng, SEVERITIES),
            ending == "reported",
            status,
            ending == "drill",
            rng.randint(1, pk - 1) if ending == "merged" and pk > 1 else None,
            declared,
            started,
            end_time,
            "",
            "",
            False,
        )
        if incident[6] is None and status == "merged":
            incident = (*incident[:4], "declined", *incident[5:])
        yield incident, [(pk, kind, time) for kind, time in milestones.items()]


def seed(count: int, seed_value: int) -> None:
    from django.db import connection

    rng = random.Random(seed_value)  # noqa: S311 (reproducible data, not secrets)
    now = datetime.now(UTC)
    incidents, milestones = io.StringIO(), io.StringIO()
    for incident, rows in incident_rows(count, rng, now):
        incidents.write("\t".join(_copy_value(value) for value in incident) + "\n")
        for pk, kind, moment in rows:
            milestones.write(f"{pk}\t{kind}\t{moment.isoformat()}\t{now.isoformat()}\n")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        columns = (
            "id, title, severity, report_only, status, drill, merged_into_id, "
            "report_time, start_time, end_time, summary, impact, private"
        )
        with raw.copy(f"COPY core_incident ({columns}) FROM STDIN") as copy:
            copy.write(incidents.getvalue())
        with raw.copy(
            "COPY core_milestone (incident_id, kind, time, updated_at) FROM STDIN"
        ) as copy:
            copy.write(milestones.getvalue())
        cursor.execute("SELECT setval(pg_get_serial_sequence('core_incident', 'id'), %s)", [count])
        cursor.execute("ANALYZE core_incident")
        cursor.execute("ANALYZE core_milestone")


def _copy_value(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_requests(client, path: str, count: int) -> list[float]:
    took = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, secure=True)
        took.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return took


class CpuMeter:
    """CPU time spent per request by this process and by its PostgreSQL backend (read from
    /proc, so only for a server on this machine): unlike wall time, barely moved by other work
    on the machine, and on an idle machine the two add up to about the wall time."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def backend_ms(self) -> float | None:
        if not self.stat.exists():
            return None
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def measure(self, client, path: str, count: int) -> str:
        python, backend = time.process_time(), self.backend_ms()
        time_requests(client, path, count)
        python_ms = (time.process_time() - python) * 1000 / count
        if backend is None:
            return f"CPU/request: Python {python_ms:.0f} ms"
        backend_ms = (self.backend_ms() - backend) / count
        return f"CPU/request: Python {python_ms:.0f} ms + PostgreSQL {backend_ms:.0f} ms"


def query_count(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path, secure=True)
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for query in captured.captured_queries:
            print("    ", query["sql"][:120].replace("\n", " "))
    return len(captured.captured_queries)


def scale_arguments(description: str, *, requests: int, seed: int) -> argparse.ArgumentParser:
    """The options every benchmark over 100,000 incidents takes (this one, bench/pages.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument(
        "--requests", type=int, default=requests, help=f"timed requests per page ({requests})"
    )
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--cores", type=int, default=0, help="pin to this many CPUs (0: all)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create a dedicated database on (default: an embedded one)",
    )
    return parser


def run_on_a_database_of_its_own(args: argparse.Namespace, run) -> int:
    """``run(args)`` pinned to ``--cores``, with production settings, on a throwaway database."""
    if args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    with dedicated_database(args.database_url) as database_url:
        production_settings(database_url)
        return run(args)


def main(argv: list[str] | None = None) -> int:
    parser = scale_arguments(__doc__.split("\n")[0], requests=50, seed=14)
    return run_on_a_database_of_its_own(parser.parse_args(argv), run)


def migrated_client():
    """Django set up, the database migrated, and a test client (not yet signed in)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", "--noinput", verbosity=0)
    return Client()


def run(args: argparse.Namespace) -> int:
    client = migrated_client()
    from django.contrib.auth import get_user_model

    start = time.perf_counter()
    seed(args.incidents, args.seed)
    print(f"Seeded {args.incidents:,} incidents in {time.perf_counter() - start:.1f} s", flush=True)

    client.force_login(get_user_model().objects.create_user("bench"))
    failed = False
    cpus = len(os.sched_getaffinity(0))
    print(f"{args.requests} requests each after {args.warmup} warm-up, {cpus} CPUs, test client")
    meter = CpuMeter()
    for path in ("/insights/", "/insights.csv", "/core/insights/"):
        time_requests(client, path, args.warmup)
        took = time_requests(client, path, args.requests)
        p95 = percentile(took, 0.95)
        failed |= path != "/core/insights/" and p95 > TARGET_P95_MS
        print(
            f"  {path:<17} p50 {statistics.median(took):6.1f} ms   p95 {p95:6.1f} ms   "
            f"max {max(took):6.1f} ms   queries {query_count(client, path)}   "
            f"{meter.measure(client, path, max(10, args.requests // 2))}",
            flush=True,
        )
    # Other work on the machine slows every figure; the load average says how much there was.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"Target: p95 under {TARGET_P95_MS:.0f} ms: {'missed' if failed else 'met'}.")
    print(f"Load average during the run (1, 5, 15 min): {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
