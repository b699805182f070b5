"""Who may read the figures: the one rule of ``/metrics`` and of the worker's exporter.

Without ``METRICS_TOKEN`` there is nothing to read (404): figures about incidents and Slack
traffic are not published by default, and an operator who never asked for metrics has no token
to leak. With it, a request without a bearer token is told how to authenticate (401) and one
with the wrong token is refused (403), the way ``/slack/cron_minute`` refuses a wrong one.
Plain Python, so that the exporter need not start Django.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

BEARER = "Bearer "
CHALLENGE = 'Bearer realm="metrics"'


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str

    @property
    def challenge(self) -> str | None:
        """The ``WWW-Authenticate`` value a 401 carries."""
        return CHALLENGE if self.status == 401 else None


OFF = Refusal(404, "metrics are off: set METRICS_TOKEN to turn them on\n")
UNAUTHENTICATED = Refusal(401, "Authorization: Bearer <METRICS_TOKEN> is required\n")
WRONG_TOKEN = Refusal(403, "the bearer token is not METRICS_TOKEN\n")


def refusal(*, authorization: str, token: str) -> Refusal | None:
    """Why a scrape presenting ``authorization`` is refused, or None when it may read."""
    if not token:
        return OFF
    if not authorization.startswith(BEARER):
        return UNAUTHENTICATED
    if not hmac.compare_digest(authorization.removeprefix(BEARER).encode(), token.encode()):
        return WRONG_TOKEN
    return None
