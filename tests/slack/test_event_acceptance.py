"""De-duplication where an event is accepted: one delivery, one ``slack.process_event`` job.

The handler side marks an event handled too, so a handler that runs once does not prove that
acceptance deferred one job: these tests count the jobs themselves. Everything goes through the
signed ``/slack/event`` endpoint and the ``procrastinate_jobs`` table.
"""

from __future__ import annotations

import copy

from django.db import connection, transaction
from django.test import Client

from tests.helpers import load_fixture, post_event
from tests.races import Race, sessions_waiting_on_locks, wait_until

RETRY_HEADERS = {"HTTP_X_SLACK_RETRY_NUM": "1", "HTTP_X_SLACK_RETRY_REASON": "http_timeout"}


def envelope_with_id(event_id: str) -> dict:
    """A ``pin_added`` delivery (a type with a built-in handler, so it is accepted)."""
    envelope = copy.deepcopy(load_fixture("event_pin_added"))
    envelope["event_id"] = event_id
    return envelope


def process_event_jobs(event_id: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'slack.process_event' "
            "AND args -> 'envelope' ->> 'event_id' = %s",
            [event_id],
        )
        return cursor.fetchone()[0]


def deliver(envelope: dict, headers: dict[str, str] | None = None) -> int:
    # A delivery that fails answers 500, as it would to Slack, rather than raising in the thread.
    return post_event(Client(raise_request_exception=False), envelope, headers=headers).status_code


def test_a_retried_delivery_defers_one_job(jobs):
    envelope = envelope_with_id("Ev0ACCEPTRETRY")

    first = deliver(envelope)
    retry = deliver(envelope, RETRY_HEADERS)

    assert (first, retry) == (200, 200)
    assert process_event_jobs("Ev0ACCEPTRETRY") == 1, "the retry deferred a second job"


def test_two_deliveries_racing_defer_one_job(jobs):
    envelope = envelope_with_id("Ev0ACCEPTRACE")
    race = Race(lambda: deliver(envelope), lambda: deliver(envelope, RETRY_HEADERS))

    # The race made certain: while this transaction holds the job table, each delivery stops
    # where it would defer its job, with what it did before (recording the event id) not yet
    # committed. A delivery is then stopped there, or waiting for the other's event id (the
    # unique constraint), or done; once both are, the table is let go.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE procrastinate_jobs IN EXCLUSIVE MODE")
        race.start()
        wait_until(
            "both deliveries are stopped or done",
            lambda: sessions_waiting_on_locks() + race.finished >= 2,
        )
        both_inside = sessions_waiting_on_locks() == 2
    race.join()

    assert not race.errors
    assert both_inside, "the deliveries did not overlap: the test did not race"
    assert race.results == [200, 200]
    assert process_event_jobs("Ev0ACCEPTRACE") == 1, "two racing deliveries deferred two jobs"
