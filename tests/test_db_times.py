"""Times come back from PostgreSQL through psycopg's compiled loader, exactly as Django's own
loader gives them; a connection in another time zone keeps Django's (response/db_times.py)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import pq
from psycopg.postgres import types

from response import db_times

pytestmark = pytest.mark.django_db

OID = types["timestamptz"].oid
STORED = [
    "2026-12-02 21:17:53.123456+00",
    "2026-03-29 01:30:00+01",  # the night the clocks go forward in Europe
    "1999-12-31 23:59:59.999999-08",
    "2026-06-30 23:59:60+00",  # PostgreSQL takes a leap second as the next minute
    "2026-01-01 05:30:00+05:30",
    "0001-01-01 12:00:00+00",
]


def loader_in_place(raw) -> type:
    return raw.adapters.get_loader(OID, pq.Format.TEXT)


def read(literals: list[str], *, djangos_own: bool) -> list[dt.datetime]:
    with connection.cursor() as cursor:
        if djangos_own:
            register_tzloader(dt.UTC, cursor.cursor)
        cursor.execute(
            "SELECT value::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(value, n) "
            "ORDER BY n",
            [literals],
        )
        return [row[0] for row in cursor.fetchall()]


def test_djangos_connection_reads_times_through_the_compiled_loader():
    connection.ensure_connection()

    assert db_times.LOADER is not None, "psycopg's binary package is in requirements.txt"
    assert loader_in_place(connection.connection) is db_times.LOADER


def test_the_times_are_those_djangos_own_loader_gives():
    ours, djangos = read(STORED, djangos_own=False), read(STORED, djangos_own=True)

    assert ours == djangos
    assert all(value.tzinfo is dt.UTC for value in ours + djangos)
    assert ours[0] == dt.datetime(2026, 12, 2, 21, 17, 53, 123456, tzinfo=dt.UTC)
    assert ours[4] == dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)


def test_a_time_written_through_the_orm_comes_back_the_same(django_user_model):
    joined = dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=dt.UTC)
    person = django_user_model.objects.create(username="reader", date_joined=joined)

    assert django_user_model.objects.get(pk=person.pk).date_joined == joined


@pytest.fixture
def raw_connection():
    params = connection.get_connection_params()
    params.pop("context", None)
    with psycopg.connect(**params) as raw:
        yield raw


@pytest.mark.parametrize(
    ("django_zone", "session_zone"),
    [(zoneinfo.ZoneInfo("Asia/Tokyo"), "UTC"), (dt.UTC, "Asia/Tokyo")],
    ids=["Django's zone for the database", "the session's zone"],
)
def test_a_connection_not_in_utc_keeps_djangos_loader(raw_connection, django_zone, session_zone):
    raw_connection.execute(f"SET TimeZone TO '{session_zone}'")
    before = loader_in_place(raw_connection)
    wrapper = SimpleNamespace(vendor="postgresql", timezone=django_zone, connection=raw_connection)

    db_times._use_compiled_loader(None, wrapper)

    assert loader_in_place(raw_connection) is before
