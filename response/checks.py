"""System checks on the settings that Django's own checks do not know about."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def site_url_is_https(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when production links and request URLs would be plain http.

    Slack refuses request URLs that are not https, so slash commands, events and clicks would never
    arrive. Registered as an ordinary check (not only with --deploy) so it shows at startup too:
    startup.sh's migrate runs the checks. Debug mode and the sandbox, which speaks http, are
    exempt.
    """
    site_url = settings.SITE_URL
    real_slack = settings.REAL_SLACK_API.rstrip("/")
    talks_to_slack = settings.SLACK_API_BASE_URL.rstrip("/") == real_slack
    if settings.DEBUG or not talks_to_slack or site_url.startswith("https://"):
        return []
    return [
        checks.Warning(
            f"SITE_URL is {site_url}, not https: Slack refuses request URLs that are not https, "
            "so slash commands, events and interactions will not reach Response.",
            hint="Serve Response over https (behind a TLS-terminating proxy, or ngrok) and set "
            "SITE_URL to that https address.",
            id="response.W001",
        )
    ]
