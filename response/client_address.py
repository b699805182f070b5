"""The address a request came from, for throttling failed sign-ins (django-axes)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The person's address: the connection's own, or behind ``TRUSTED_PROXY_COUNT`` proxies,
    the one the outermost of them saw.

    Each proxy appends the address it was reached from to ``X-Forwarded-For``, so with ``n``
    trusted proxies the ``n``-th entry from the right is the person's; anything further left
    was written by the client and proves nothing. A request with fewer entries than that did
    not come through the proxies, and its connection's address is used.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
