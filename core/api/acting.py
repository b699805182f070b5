"""The REST API says who acts once DRF has authenticated the request (SPEC §18).

Token and Basic auth happen inside the view, after every middleware: ``initial()`` is the first
moment the person is known, and what the view then changes is theirs, through the API.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from core.access import Acting, Via, act_from_here_as


class ActingAPIView:
    """Mix into every API view, before DRF's own class."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        act_from_here_as(Acting.for_person(request.user, Via.API))
