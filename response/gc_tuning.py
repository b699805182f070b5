"""Python's garbage collector tuned for a long-running server process.

A process that has loaded Response holds some 100,000 objects (Django, every module, the
settings) that live as long as it does, and every full collection walks them all: in a gunicorn
worker about one request in 300 took 50 to 95 ms for it. Frozen once the process has loaded,
they are never walked again. With so few long-lived objects left, full collections would come
often, so the youngest generation collects after 7,000 allocations instead of Python's 700.

``make bench-pages BENCH_PAGES_ARGS=--served`` (1,500 requests over 100,000 incidents, one
worker): the slowest request from 87-95 to 44-47 ms, none over 50 ms instead of 5, p50 to p99
unchanged.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 7000


def freeze_what_is_loaded() -> None:
    """Leave every object alive now out of later collections; call once the process has loaded."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
