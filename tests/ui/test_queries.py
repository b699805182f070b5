"""Pages cost the same number of queries whatever the amount of data behind them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import services
from core.models import Incident, Role
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


@pytest.mark.parametrize("path", ["/", "/?status=resolved&severity=1", "/?q=number&page=3"])
def test_list_queries_do_not_grow_with_incidents(logged_in, users, path):
    builders.many_incidents(10, reporter=users[0], lead=users[1])
    few = queries_for(logged_in, path)

    builders.many_incidents(990, reporter=users[0], lead=users[1])
    assert Incident.objects.count() == 1000
    many = queries_for(logged_in, path)

    assert len(many) == len(few), "\n".join(many)
    # Session, user, count, page, roles, mentions' names, overdue follow-ups per incident.
    assert len(many) <= 7


def hold_every_role(incident, users) -> None:
    """Ten more roles configured, and every role held by someone."""
    for n in range(10):
        Role.objects.create(name=f"extra-{incident.pk}-{n}", label=f"Extra {n}", duty="Help.")
    for n, role in enumerate(Role.objects.all()):
        services.role_assign(incident=incident, role=role, holder=users[n % len(users)])


def set_every_milestone(incident, actor) -> None:
    start = incident.start_time
    services.milestone_set(incident=incident, kind="detected", time=start, actor=actor)
    services.incident_status_set(incident=incident, status="monitoring", actor=actor)
    services.incident_status_set(incident=incident, status="resolved", actor=actor)


def share_updates_and_follow(incident, users) -> None:
    for number, user in enumerate(users[:20]):
        services.incident_follow(incident=incident, user=user)
        services.update_share(
            incident=incident, author=user, what_changed=f"step {number} for <@{user.external_id}>"
        )


def test_document_queries_do_not_grow_with_the_timeline(logged_in, users):
    small = builders.incident("small", reporter=users[0], lead=users[1])
    builders.fill_incident(small, entries=10, users=users[:5], channel_id="C0SMALL")
    big = builders.incident("big", reporter=users[0], lead=users[1])
    builders.fill_incident(big, entries=2000, users=users, channel_id="C0BIG")
    hold_every_role(big, users)
    share_updates_and_follow(big, users)  # while it is live: a resolved one takes no update
    set_every_milestone(big, users[2])
    assert big.timeline_events.count() > 2000
    assert big.role_assignments.count() == 13
    assert big.milestones.count() == 6

    few = queries_for(logged_in, f"/incident/{small.pk}/")
    many = queries_for(logged_in, f"/incident/{big.pk}/")

    assert len(many) == len(few), "\n".join(many)
    # session, user, incident, its roles, actions, timeline, milestones, the configured roles,
    # participants, updates, followers, mentioned users and channels, the latest history and the
    # people its changes name
    assert len(many) <= 15


def test_a_merged_document_costs_the_same_whatever_its_size(logged_in, users):
    target = builders.incident("target", reporter=users[0])
    small = builders.incident("small", reporter=users[0], lead=users[1])
    big = builders.incident("big", reporter=users[0], lead=users[1])
    for incident in (small, big):
        services.role_assign(incident=incident, role="comms", holder=users[2])
        services.incident_status_set(incident=incident, status="merged", merged_into=target)
    hold_every_role(big, users)

    few = queries_for(logged_in, f"/incident/{small.pk}/")
    many = queries_for(logged_in, f"/incident/{big.pk}/")

    assert len(many) == len(few), "\n".join(many)
