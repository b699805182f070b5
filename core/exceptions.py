"""Errors raised by core services. Interfaces turn them into user-facing messages."""

from __future__ import annotations

import datetime as dt


class ApplicationError(Exception):
    """A request that the domain refuses; ``message`` is safe to show to a user."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class IncidentAlreadyClosed(ApplicationError):
    def __init__(self, closed_at: dt.datetime) -> None:
        super().__init__(f"This incident was already closed at {closed_at.isoformat()}.")
        self.closed_at = closed_at
