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
        if isinstance(queryset, QuerySet):
            # A view that knows how many rows its filters give (``known_count``) spares the
            # count; knowing it, deep pages are read from the nearer end.
            known = view.known_count() if hasattr(view, "known_count") else None
            queryset = IdsFirst(queryset, count=known)
        return super().paginate_queryset(queryset, request, view)
