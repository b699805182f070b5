from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations
from django.db.models.signals import post_migrate

from core.models import Role
from slack import plugins, registry
from slack.incoming import after_response
from slack.web_api.workspace import reset_caches
from tests.helpers import run_jobs
from tests.slack.fake_slack import FakeSlack
from tests.ui import builders


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Renders kept between requests (ui/timeline_render.py) are keyed by database state that a
    rolled-back test can bring back: no test sees another's."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[FakeSlack]:
    """One stand-in Slack for the whole run; ``fake_slack`` wipes it between tests."""
    with FakeSlack() as server:
        yield server


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack, settings) -> Iterator[FakeSlack]:
    """The stand-in Slack, empty, with the Web API client pointed at it."""
    fake_slack_server.reset()
    settings.SLACK_API_BASE_URL = fake_slack_server.base_url
    settings.SLACK_TOKEN = "xoxb-test-token"
    reset_caches()
    yield fake_slack_server
    # Modals open just after a request is answered: let them land in this test, not the next.
    after_response.wait_idle()
    reset_caches()
    fake_slack_server.reset()


def _empty_job_queue() -> None:
    # procrastinate's tables are not managed by Django, so the flush between transactional
    # tests leaves their rows behind; start each test that runs jobs from an empty queue.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_periodic_defers RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def jobs(transactional_db, fake_slack):
    """Runs queued jobs in a worker, talking to the stand-in Slack; the test's data is
    committed so the worker can see it."""
    _empty_job_queue()
    yield run_jobs
    _empty_job_queue()


EXAMPLE_PLUGIN = "examples.team_plugin"


def _forget_example_plugin() -> None:
    for word in ("runbook", "rb"):
        registry.incident_commands.unregister(word)
    registry.notifications.unregister(f"{EXAMPLE_PLUGIN}.suggest_status_page")
    sys.modules.pop(EXAMPLE_PLUGIN, None)
    plugins._loaded.discard(EXAMPLE_PLUGIN)


@pytest.fixture
def example_plugin(settings):
    """``examples/team_plugin.py`` loaded the way startup loads plugins, forgotten afterwards."""
    _forget_example_plugin()
    settings.RESPONSE_PLUGINS = [EXAMPLE_PLUGIN]
    plugins.load_plugins()
    yield sys.modules[EXAMPLE_PLUGIN]
    _forget_example_plugin()


# The roles the migration creates.
DEFAULT_ROLES = importlib.import_module(
    "core.migrations.0004_part_one_incidents_get_a_lifecycle"
).DEFAULT_ROLES


def _default_roles_again(sender, using: str = "default", **kwargs) -> None:
    """The default roles come from a data migration, and the flush that ends a transactional
    test empties every table. Django sends ``post_migrate`` after that flush (it recreates
    content types that way), so the roles are put back for the tests that follow, whichever
    fixture or server process they use."""
    if sender.name != "core":
        return
    for name, label, duty, order in DEFAULT_ROLES:
        Role.objects.using(using).get_or_create(
            name=name, defaults={"label": label, "duty": duty, "order": order}
        )


post_migrate.connect(_default_roles_again, dispatch_uid="tests.default_roles_again")


_sql_flush = DatabaseOperations.sql_flush


def _sql_flush_past_the_audit_trigger(self, style, tables, **kwargs) -> list[str]:
    """The flush that ends a transactional test truncates every table, the audit log's too, whose
    trigger refuses that (migration core 0010). Triggers do not fire for a session in the replica
    role, which only a superuser (as the suite connects) may take; ``SET LOCAL`` ends with the
    flush's own transaction."""
    statements = _sql_flush(self, style, tables, **kwargs)
    if not statements:
        return statements
    return ["SET LOCAL session_replication_role = replica", *statements]


DatabaseOperations.sql_flush = _sql_flush_past_the_audit_trigger


@pytest.fixture
def alice():
    return builders.slack_user("U0ALICE", "alice")


@pytest.fixture
def bob():
    return builders.slack_user("U0BOB", "bob")
