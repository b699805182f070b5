"""What reading times with psycopg's compiled loader saves (response/db_times.py):
``python -m bench.db_times [--rounds 20]``.

Seeds the data of ``bench/pages.py`` (``--incidents`` incidents, one of 2,000 timeline entries),
then asks the routes that read many times, in one process with production settings, with
Django's own ``timestamptz`` loader and with the compiled one taking turns: ``--rounds`` rounds of
5 requests each. Prints the median CPU time of this process per request for each loader. Taking
turns in one process keeps a busy or noisy machine from favouring either; CPU time leaves out
the wait for PostgreSQL, which the loader does not change. It measures; it does not fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

from bench.pages import ROOT

REQUESTS_A_TURN = 5
BIG_INCIDENT_ENTRIES = 2000


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from bench.insights import run_on_a_database_of_its_own, scale_arguments

    parser = scale_arguments(__doc__.split("\n")[0], requests=0, seed=19)
    parser.add_argument("--rounds", type=int, default=20)
    return run_on_a_database_of_its_own(parser.parse_args(argv), run)


def run(args: argparse.Namespace) -> int:
    from bench.pages import seeded_client

    client, big = seeded_client(args, BIG_INCIDENT_ENTRIES)
    print(f"{args.rounds} rounds of {REQUESTS_A_TURN} requests a loader, CPU ms a request:")
    for path in (
        "/core/incidents/",
        "/core/incidents/?offset=50000",
        "/",
        f"/core/timeline/?incident={big}",
    ):
        djangos, compiled = _take_turns(client, path, args.rounds)
        print(f"  {path:<32} Django's loader {djangos:5.1f}   compiled {compiled:5.1f}")
    return 0


def _take_turns(client, path: str, rounds: int) -> tuple[float, float]:
    """The median CPU milliseconds a request with Django's loader, then with the compiled one."""
    for _ in range(REQUESTS_A_TURN):
        client.get(path)  # warm up
    took: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(rounds):
        for compiled in (False, True):
            _read_times_with(compiled=compiled)
            began = time.process_time()
            for _ in range(REQUESTS_A_TURN):
                client.get(path)
            took[compiled].append((time.process_time() - began) / REQUESTS_A_TURN * 1000)
    return statistics.median(took[False]), statistics.median(took[True])


def _read_times_with(*, compiled: bool) -> None:
    from django.db import connection
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    from response import db_times

    connection.ensure_connection()
    if compiled:
        connection.connection.adapters.register_loader(db_times.TIMESTAMPTZ, db_times.LOADER)
    else:
        register_tzloader(dt.UTC, connection.connection)


if __name__ == "__main__":
    raise SystemExit(main())
