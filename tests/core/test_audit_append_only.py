"""The audit log is append-only in the database itself (SPEC §18): the migration that creates it
installs triggers that refuse an UPDATE, a DELETE or a TRUNCATE of its rows, whoever sends them."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE_AUDIT = [("core", "0009_incident_title_trigram_index")]
INSERT = (
    "INSERT INTO core_auditentry (at, via, person_name, slack_user_id, slack_user_name,"
    " object_type, object_id, object_repr, action, before, after, request_id, job_id)"
    " VALUES (now(), 'system', '', '', '', 'core.Incident', '1', '', 'changed',"
    " '{\"title\": \"a\"}', '{\"title\": \"b\"}', '', '') RETURNING id"
)


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def freshly_migrated(transactional_db):
    """The audit log's migration applied now, over a database from before it."""
    migrate(BEFORE_AUDIT)
    try:
        migrate(latest())
        yield
    finally:
        migrate(latest())


def _execute(sql: str, *params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def _rows() -> list[tuple]:
    return _execute("SELECT id, after::text FROM core_auditentry ORDER BY id")


@pytest.mark.parametrize(
    "statement",
    [
        'UPDATE core_auditentry SET after = \'{"title": "forged"}\' WHERE id = %s',
        "DELETE FROM core_auditentry WHERE id = %s",
        "TRUNCATE core_auditentry",
    ],
    ids=["update", "delete", "truncate"],
)
def test_the_database_refuses_to_change_an_entry(freshly_migrated, statement):
    [(entry,)] = _execute(INSERT)  # adding works
    params = (entry,) if "%s" in statement else ()

    with pytest.raises(DatabaseError, match="append-only"):
        _execute(statement, *params)

    assert _rows() == [(entry, '{"title": "b"}')]


def test_migrating_back_removes_the_log_and_its_trigger(freshly_migrated):
    migrate(BEFORE_AUDIT)

    assert _execute("SELECT to_regclass('core_auditentry')") == [(None,)]
    assert _execute(
        "SELECT count(*) FROM pg_proc WHERE proname = 'core_auditentry_refuse_change'"
    ) == [(0,)]
