from __future__ import annotations

from django.db import models


class IncidentTally(models.Model):
    """How many incidents there are of a status, severity and privacy: the sum of its rows.

    Kept by the database (triggers of ``core`` migration 0015): every insert, delete or change of
    those fields adds a row of +n or -n in the transaction that makes it, whatever code makes it
    (services, ``bulk_create``, ``QuerySet.update``, the admin). Rows are only ever added, so
    writers never wait on one another; ``services.incident_tally_fold`` folds them into one row
    per kind now and then. The lists count 100,000 incidents from here instead of row by row.
    """

    status = models.CharField(max_length=16)
    severity = models.PositiveSmallIntegerField(null=True)
    private = models.BooleanField()
    delta = models.IntegerField()

    class Meta:
        verbose_name_plural = "incident tallies"

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.status} severity {self.severity} private {self.private}"
