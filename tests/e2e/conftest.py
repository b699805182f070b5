"""Fixtures the browser tests share."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.chromium import launch_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium, once per module."""
    # Playwright's sync API keeps an event loop running in this thread; the test's own database
    # calls (fixtures, flushes) run here too, outside that loop's tasks.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = launch_chromium(playwright)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
