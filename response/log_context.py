"""Fields that every log line carries while some work is under way (SPEC §19).

A request, a job or an incident binds its id for as long as it runs; ``LogContextFilter`` copies
the fields bound at the moment onto each log record, where the JSON format (``LOG_FORMAT=json``)
prints them as keys of their own::

    with log_context(job_id=42, incident_id=7):
        logger.info("posting the headline")  # {"message": ..., "job_id": 42, "incident_id": 7}

The fields live in a context variable, so threads (the worker runs jobs in threads) and asyncio
tasks each see their own, and nested blocks add to what the outer ones bound.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_fields: ContextVar[Mapping[str, Any]] = ContextVar("log_context", default=_EMPTY)

# Attributes every LogRecord has: a field of that name would overwrite what logging itself says.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def current_log_context() -> Mapping[str, Any]:
    """The fields bound here and now (read-only)."""
    return _fields.get()


def bind_log_context(**fields: Any) -> Token[Mapping[str, Any]]:
    """Add ``fields`` (None values are left out) until ``unbind_log_context`` with the token.

    For code that cannot wrap its work in a ``with`` block; prefer ``log_context``.
    """
    clashes = _RECORD_ATTRIBUTES & fields.keys()
    if clashes:
        raise ValueError(f"log context fields clash with LogRecord attributes: {sorted(clashes)}")
    known = {name: value for name, value in fields.items() if value is not None}
    return _fields.set(MappingProxyType({**_fields.get(), **known}))


def unbind_log_context(token: Token[Mapping[str, Any]]) -> None:
    """Restore the fields to what they were before the ``bind_log_context`` that gave ``token``."""
    _fields.reset(token)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Every log line inside the block carries ``fields`` (None values are left out)."""
    token = bind_log_context(**fields)
    try:
        yield
    finally:
        unbind_log_context(token)


class LogContextFilter(logging.Filter):
    """Copies the bound fields onto each record; installed on the handlers, so that every logger's
    lines get them, third-party libraries' included. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _fields.get().items():
            # A field the call itself passed in ``extra`` is the more specific one.
            if not hasattr(record, name):
                setattr(record, name, value)
        # Django logs a request's 4xx and 5xx answer after the middleware has finished, with the
        # request in ``extra``: take its id from there.
        request_id = getattr(getattr(record, "request", None), "request_id", None)
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True
