"""The parts of pages that htmx fetches and swaps in (the postmortem's entry edit form).

A request htmx makes follows redirects by itself, so a signed-out person's request would come
back as the login page, swapped into the entry. Such a request is answered with ``HX-Redirect``
instead, and htmx sends the whole page to the login page, then back where the person was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse


def asked_by_htmx(request: HttpRequest) -> bool:
    """The page's own script asked for a part of a page to swap in, not a whole page."""
    return request.headers.get("HX-Request") == "true"


def login_required_for_parts(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required``, except that a signed-out person's htmx request sends the page it
    came from to the login page (and back to that page after)."""
    guarded = login_required(view)

    @functools.wraps(view)
    def answer(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if asked_by_htmx(request) and not request.user.is_authenticated:
            came_from = urlsplit(request.headers.get("HX-Current-URL", "")).path
            login = redirect_to_login(came_from or request.get_full_path())
            return HttpResponse(headers={"HX-Redirect": login.url})
        return guarded(request, *args, **kwargs)

    return answer
