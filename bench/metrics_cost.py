"""What the metrics cost one request, in CPU time: ``python -m bench.metrics_cost``.

``make bench --metrics`` compares whole runs, whose wall times move with everything else on the
machine. This measures the metrics code alone, in this process, with the CPU time it uses (which
other work on the machine hardly changes), in prometheus-client's multi-process mode as gunicorn
runs it (values in memory-mapped files in a temporary directory):

* what a request pays: the latency histogram's observation, as the middleware makes it;
* what a Slack call and a job run pay: their counter, and the job's histogram;
* one scrape: summing the files of ``--processes`` processes, as ``/metrics`` does.

Prints microseconds per operation (median of ``--rounds`` rounds). It measures; it does not fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_micros(operation: Callable[[], object], times: int) -> float:
    started = time.process_time()
    for _ in range(times):
        operation()
    return (time.process_time() - started) / times * 1e6


def fill_directory(directory: Path, processes: int) -> None:
    """Files of ``processes`` other processes, each having answered every route once."""
    code = (
        "from response import metrics\n"
        "for route in ('slack:event', 'slack:action', 'slack:slash_command', 'ui:incident_list'):\n"
        "    metrics.observe_request(route=route, method='POST', status=200, seconds=0.01)\n"
        "metrics.count_slack_call(method='chat.postMessage', result='ok')\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    for _ in range(processes):
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_cost", description=__doc__)
    parser.add_argument("--times", type=int, default=20000, help="operations a round (20000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the median is shown (5)")
    parser.add_argument("--processes", type=int, default=12, help="process files a scrape sums")
    args = parser.parse_args(argv)

    directory = Path(tempfile.mkdtemp(prefix="response-metrics-cost-"))
    try:
        # Before prometheus-client is imported: its values then live in this directory's files.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
        from response import metrics

        def request() -> None:
            metrics.observe_request(route="slack:event", method="POST", status=200, seconds=0.004)

        def slack_call() -> None:
            metrics.count_slack_call(method="chat.postMessage", result="ok")

        def job() -> None:
            with metrics.observe_job("slack.process_event", will_retry=lambda error: True):
                pass

        fill_directory(directory, args.processes)

        def scrape() -> None:
            from prometheus_client.exposition import generate_latest

            generate_latest(metrics.scrape_registry())

        rows = [
            ("a request (latency histogram)", request, args.times),
            ("a Slack Web API call (counter)", slack_call, args.times),
            ("a job run (counter and histogram)", job, args.times),
            (f"one scrape of {args.processes + 1} processes' files", scrape, 50),
        ]
        print(f"CPU time per operation, median of {args.rounds} rounds, multi-process mode:")
        for label, operation, times in rows:
            operation()  # create the series first: a process pays that once
            figures = [cpu_micros(operation, times) for _ in range(args.rounds)]
            print(f"  {label:<40}{statistics.median(figures):10.1f} µs")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
