"""Helpers for tests that race two requests, each on a thread with its own database connection.

Such tests need committed data (``transactional_db``, or the ``jobs`` fixture), since each thread
opens a connection of its own to the test database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection


def sessions_waiting_on_locks() -> int:
    """How many other sessions on this database are waiting for a lock (row, table, id...)."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps showing its first look at pg_stat_activity.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class Race:
    """Run ``targets`` at once, each on its own thread and connection, started by one barrier.

    ``results`` holds what each returned (in the order of ``targets``), ``errors`` what any
    raised; ``finished`` counts the threads that are done.
    """

    def __init__(self, *targets: Callable[[], Any]) -> None:
        self._targets = targets
        self._barrier = threading.Barrier(len(targets))
        self._lock = threading.Lock()
        self.results: list[Any] = [None] * len(targets)
        self.errors: list[BaseException] = []
        self._finished = 0
        self._threads = [
            threading.Thread(target=self._run, args=(index,), name=f"racer-{index}")
            for index in range(len(targets))
        ]

    @property
    def finished(self) -> int:
        with self._lock:
            return self._finished

    def _run(self, index: int) -> None:
        try:
            self._barrier.wait(timeout=10)
            self.results[index] = self._targets[index]()
        except BaseException as error:
            with self._lock:
                self.errors.append(error)
        finally:
            connection.close()
            with self._lock:
                self._finished += 1

    def start(self) -> Race:
        for thread in self._threads:
            thread.start()
        return self

    def join(self, timeout: float = 20) -> Race:
        for thread in self._threads:
            thread.join(timeout=timeout)
        assert not any(thread.is_alive() for thread in self._threads), "a racer never finished"
        return self


def wait_until(what: str, condition: Callable[[], object], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)
