from __future__ import annotations

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=``; 100 rows unless asked, never more than 1,000 at once."""

    default_limit = 100
    max_limit = 1000
