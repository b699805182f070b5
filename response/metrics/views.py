"""``GET /metrics``: Prometheus' text format, for whoever holds ``METRICS_TOKEN``
(``response.metrics.access`` says who may read)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from response import metrics
from response.metrics import access
from response.metrics.collectors import database_collectors

logger = logging.getLogger(__name__)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    refused = access.refusal(
        authorization=request.headers.get("Authorization", ""), token=settings.METRICS_TOKEN
    )
    if refused is access.OFF:
        raise Http404(refused.reason)
    if refused is not None:
        if refused is access.WRONG_TOKEN:
            logger.warning("refused a metrics scrape without the right token")
        answer = HttpResponse(refused.reason, status=refused.status)
        if refused.challenge:
            answer["WWW-Authenticate"] = refused.challenge
        return answer
    body = generate_latest(metrics.scrape_registry(*database_collectors()))
    # Every name here is a classic one, so the body is the 0.0.4 text format that every
    # Prometheus release reads; said so rather than the library's newer default version.
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
