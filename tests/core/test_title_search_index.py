"""The title search can use its trigram index (migration core 0009): the index is on the very
expression the search filters on, so PostgreSQL need not read every incident (SPEC §19)."""

from __future__ import annotations

import pytest
from django.db import connection

from core import selectors

pytestmark = pytest.mark.django_db


def _plan(sql: str, params: tuple) -> str:
    with connection.cursor() as cursor:
        # A test database is tiny, where reading the table (or the whole of the ordering's
        # index) is always cheapest: rule both out to see whether the trigram index can serve
        # the query at all. Were it unable to, PostgreSQL would read the table regardless.
        for plan in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {plan} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_list_s_title_search_reads_the_trigram_index():
    sql, params = selectors.incident_search(title="payments").query.sql_with_params()

    assert "incident_title_trigrams" in _plan(sql, params)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("payments", ["Payments (EU) failing"]),
        ("PAYMENTS (eu)", ["Payments (EU) failing"]),
        ("(eu)", ["Payments (EU) failing"]),  # literal brackets, not a regular expression group
        ("a_b", ["Queue a_b stuck"]),  # literal underscore, not LIKE's any-character
        ("50%", ["Disk 50% full"]),
        ("c++", ["c++ build broken"]),
        ("  europe ", ["Europe outage"]),
    ],
)
def test_the_search_finds_the_typed_text_anywhere_in_any_case(typed, found):
    from tests.ui import builders

    for title in ("Payments (EU) failing", "Europe outage", "Queue a_b stuck", "Queue axb stuck"):
        builders.incident(title)
    for title in ("Disk 50% full", "Disk 505 full", "c++ build broken", "cc build broken"):
        builders.incident(title)

    assert [i.title for i in selectors.incident_search(title=typed)] == found
