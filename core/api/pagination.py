from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination

from core.selectors import IdsFirst


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=&offset=``; 100 rows unless asked, never more than 1,000 at once."""

    default_limit = 100
    max_limit = 1000

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        # A view that knows how many rows its filters give (``known_count``) spares the count.
        self.known_count = view.known_count() if hasattr(view, "known_count") else None
        if isinstance(queryset, QuerySet):
            queryset = IdsFirst(queryset)
        return super().paginate_queryset(queryset, request, view)

    def get_count(self, queryset: Any) -> int:
        if self.known_count is not None:
            return self.known_count
        return super().get_count(queryset)
