"""Slack refuses request URLs that are not https: production settings on http say so at startup."""

from __future__ import annotations

from django.core import checks
from django.test import override_settings

REAL_SLACK = "https://slack.com/api/"
ON_HTTP = {"DEBUG": False, "SITE_URL": "http://r.example.com", "SLACK_API_BASE_URL": REAL_SLACK}


def _site_url_warnings() -> list[checks.CheckMessage]:
    return [message for message in checks.run_checks() if message.id == "response.W001"]


@override_settings(**ON_HTTP)
def test_production_on_http_is_warned_about():
    (warning,) = _site_url_warnings()

    assert warning.level == checks.WARNING
    assert "http://r.example.com" in warning.msg
    assert "https" in warning.hint


@override_settings(**ON_HTTP)
def test_the_warning_is_part_of_the_deployment_checks():
    messages = checks.run_checks(include_deployment_checks=True)

    assert "response.W001" in {message.id for message in messages}


@override_settings(
    DEBUG=False, SITE_URL="https://response.example.com", SLACK_API_BASE_URL=REAL_SLACK
)
def test_production_on_https_is_not_warned_about():
    assert _site_url_warnings() == []


@override_settings(DEBUG=True, SITE_URL="http://localhost:8000", SLACK_API_BASE_URL=REAL_SLACK)
def test_local_debug_on_http_is_not_warned_about():
    assert _site_url_warnings() == []


@override_settings(
    DEBUG=False, SITE_URL="http://localhost:8000", SLACK_API_BASE_URL="http://127.0.0.1:8999/api/"
)
def test_the_sandbox_on_http_is_not_warned_about():
    # The sandbox delivers over plain http; only real Slack insists on https.
    assert _site_url_warnings() == []
