"""A title search reads the trigram index even when its text matches one of the titles
PostgreSQL sampled for its statistics (``core`` migration 0016): the planner must not take a
rare text for a common one and walk every incident newest first."""

from __future__ import annotations

import pytest
from django.db import connection

from core import selectors
from core.access import Acting, acting_as
from core.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)

MANY = 30_000


@pytest.fixture
def analyzed_incidents() -> None:
    Incident.objects.bulk_create(
        (Incident(title=f"Incident {n}") for n in range(MANY)), batch_size=5000
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_incident")


def _sampled_titles() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT histogram_bounds::text::text[] FROM pg_stats "
            "WHERE tablename = 'core_incident' AND attname = 'title'"
        )
        return cursor.fetchone()[0]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_rare_text_that_matches_a_sampled_title_is_searched_on_the_trigram_index(
    analyzed_incidents,
):
    # "Incident 1234" for a sampled "Incident 12345": a dozen incidents of 30,000.
    sampled = [title for title in _sampled_titles() if len(title) == len(f"Incident {MANY - 1}")]
    texts = [title[:-1] for title in sampled[10:-10:40]]
    assert texts

    with acting_as(Acting()):
        plans = {text: _plan(selectors.incident_search(title=text)[:25]) for text in texts}

    walked = [text for text, plan in plans.items() if "incident_title_trigrams" not in plan]
    assert walked == []
