"""How fast every page and API listing answers at scale (SPEC §19): ``make bench-pages``.

Seeds ``--incidents`` incidents (as ``bench/insights.py`` does, over two years) and one incident of
``--entries`` timeline entries, follow-ups and a written postmortem (as ``bench/postmortem.py``
does), on an embedded PostgreSQL or a dedicated database on ``--database-url``. Then, in this
process, with production settings, through Django's test client signed in (middleware, session,
view, template or serializer; no network), times ``--requests`` requests to each route: the
incident list (first page, a title search, a filtered and a deep page), the document and the
postmortem of the big incident, and the API's listings (first page, offset 90,000, a title
search, the big incident's timeline).

Prints p50, p95 and max per route against the 50 ms goal, the queries per request, and CPU time
per request of this process and of its PostgreSQL backend (see ``bench/insights.py``). It
measures; it does not fail on a slow run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 50.0


def routes(big: int) -> list[tuple[str, str]]:
    """(label, path) for every page and listing measured; ``big`` is the 2,000-entry incident."""
    return [
        ("list", "/"),
        ("list, title search", "/?title=incident+4242"),
        ("list, open critical", "/?status=open&severity=1"),
        ("list, page 500", "/?page=500"),
        ("document (2,000 entries)", f"/incident/{big}/"),
        ("postmortem (2,000 entries)", f"/incident/{big}/postmortem/"),
        ("API incidents", "/core/incidents/"),
        ("API incidents offset 90,000", "/core/incidents/?offset=90000"),
        ("API incidents, title search", "/core/incidents/?title=incident+4242"),
        ("API timeline of the big one", f"/core/timeline/?incident={big}"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per route (40)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--cores", type=int, default=0, help="pin to this many CPUs (0: all)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create a dedicated database on (default: an embedded one)",
    )
    args = parser.parse_args(argv)
    if args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from bench.insights import dedicated_database, production_settings

    with dedicated_database(args.database_url) as database_url:
        production_settings(database_url)
        return run(args)


def run(args: argparse.Namespace) -> int:
    from bench.insights import CpuMeter, percentile, query_count, seed, time_requests
    from bench.postmortem import seed as seed_big_incident

    client = _signed_in_client_on_a_migrated_database()
    start = time.perf_counter()
    seed(args.incidents, args.seed)
    big = seed_big_incident(args.entries)
    _analyze()
    print(
        f"Seeded {args.incidents:,} incidents and one of {args.entries:,} timeline entries in "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )
    client.force_login(_bench_user())
    cpus = len(os.sched_getaffinity(0))
    print(f"{args.requests} requests each after {args.warmup} warm-up, {cpus} CPUs, test client")
    meter, missed = CpuMeter(), []
    for label, path in routes(big):
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
    return 0


def _signed_in_client_on_a_migrated_database():
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    # As in bench/insights.py: the plain static storage spares the bench a collectstatic.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    call_command("migrate", "--noinput", verbosity=0)
    return Client()


def _bench_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="bench")


def _analyze() -> None:
    """Fresh planner statistics, as autovacuum would have after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    sys.exit(main())
