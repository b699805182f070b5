"""Folding the incident tallies (``core.IncidentTally``), which the database adds to on every
change of an incident's status, severity or privacy."""

from __future__ import annotations

from django.db import connection, transaction

# In one statement, so that every row it takes away is in the sum it puts back: rows another
# transaction adds meanwhile are not taken, and two folds at once each fold rows the other did
# not (the second waits for the first's rows, finds them gone, and skips them).
FOLD = """
WITH folded AS (
    DELETE FROM core_incidenttally RETURNING status, severity, private, delta
)
INSERT INTO core_incidenttally (status, severity, private, delta)
SELECT status, severity, private, sum(delta) FROM folded
GROUP BY status, severity, private HAVING sum(delta) <> 0
"""


def incident_tally_fold() -> int:
    """Fold the tallies into one row per status, severity and privacy; returns the rows left.

    Counting reads every row of the tallies: a few hundred after a busy day, one per kind of
    incident once folded (the job worker does it every few minutes).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FOLD)
        return cursor.rowcount
