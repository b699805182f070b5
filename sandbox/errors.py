"""The one error the sandbox's Slack raises."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """A Web API error: answered as HTTP 200 ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra
