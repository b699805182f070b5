"""Pages cost the same number of queries whatever the amount of data behind them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Incident
from tests.ui import builders

pytestmark = pytest.mark.django_db


def queries_for(client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def users():
    return [builders.slack_user(f"U{n:04d}", f"user{n}") for n in range(30)]


@pytest.mark.parametrize("path", ["/", "/?status=resolved&severity=2", "/?q=number&page=3"])
def test_list_queries_do_not_grow_with_incidents(logged_in, users, path):
    builders.many_incidents(10, reporter=users[0], lead=users[1])
    few = queries_for(logged_in, path)

    builders.many_incidents(990, reporter=users[0], lead=users[1])
    assert Incident.objects.count() == 1000
    many = queries_for(logged_in, path)

    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 6


def test_document_queries_do_not_grow_with_the_timeline(logged_in, users):
    small = builders.incident("small", reporter=users[0], lead=users[1])
    builders.fill_incident(small, entries=10, users=users[:5], channel_id="C0SMALL")
    big = builders.incident("big", reporter=users[0], lead=users[1])
    builders.fill_incident(big, entries=2000, users=users, channel_id="C0BIG")
    assert big.timeline_events.count() == 2000

    few = queries_for(logged_in, f"/incident/{small.pk}/")
    many = queries_for(logged_in, f"/incident/{big.pk}/")

    assert len(many) == len(few), "\n".join(many)
    # session, user, incident, actions, timeline, participants, mentioned users and channels
    assert len(many) <= 8
