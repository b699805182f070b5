"""Slack work that must happen within seconds of a request, without delaying its answer.

Opening a modal needs the request's trigger id, valid for 3 seconds, so it cannot wait for the
job queue; but Slack need not wait for it either. It runs on a small pool of threads in the web
process, just after the request is answered (how Bolt's "lazy listeners" work).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

# Each task is one Slack call or two; a handful of threads keeps up with a burst of commands.
THREADS = 4

_executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="after-response")
_pending = 0
_idle = threading.Condition()


def soon(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Run ``func(*args, **kwargs)`` on the pool; its exceptions are logged, never raised.

    It runs in a copy of the caller's context: as whoever was acting (``core.access``).
    """
    global _pending
    with _idle:
        _pending += 1
    _executor.submit(contextvars.copy_context().run, _run, func, args, kwargs)


def wait_idle(timeout: float = 10) -> bool:
    """Until every task submitted so far has finished (tests, a clean shutdown)."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout=timeout)


def _run(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    global _pending
    try:
        func(*args, **kwargs)
    except Exception:
        logger.exception("%s failed after the request was answered", func.__qualname__)
    finally:
        with _idle:
            _pending -= 1
            _idle.notify_all()
