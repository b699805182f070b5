from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """A paginator told how many rows there are (``core.selectors.incident_count`` knows it
    without reading them) instead of counting them itself."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count
