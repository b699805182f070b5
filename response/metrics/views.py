"""``GET /metrics``: Prometheus' text format, for whoever holds ``METRICS_TOKEN``.

Without ``METRICS_TOKEN`` the endpoint does not exist (404): figures about incidents and Slack
traffic are not published by default, and an operator who never asked for metrics has no token
to leak. With it, a request without a bearer token is told how to authenticate (401) and one
with the wrong token is refused (403), the way ``/slack/cron_minute`` refuses a wrong one.
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from response import metrics
from response.metrics.collectors import database_collectors

logger = logging.getLogger(__name__)

BEARER = "Bearer "


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: set METRICS_TOKEN to turn them on")
    presented = request.headers.get("Authorization", "")
    if not presented.startswith(BEARER):
        answer = HttpResponse("Authorization: Bearer <METRICS_TOKEN> is required\n", status=401)
        answer["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer
    if not hmac.compare_digest(presented.removeprefix(BEARER).encode(), token.encode()):
        logger.warning("refused a metrics scrape without the right token")
        return HttpResponse("the bearer token is not METRICS_TOKEN\n", status=403)
    body = generate_latest(metrics.scrape_registry(*database_collectors()))
    # Every name here is a classic one, so the body is the 0.0.4 text format that every
    # Prometheus release reads; said so rather than the library's newer default version.
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
