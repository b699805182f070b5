"""Python's garbage collector tuned for a long-running server process.

A process that has loaded Response holds some 100,000 objects (Django, every module, the
settings) that live as long as it does, and every full collection walks them all: in a gunicorn
worker about one request in 300 took 50 to 95 ms for it. Frozen once the process has loaded,
they are never walked again.

Frozen alone, they leave few long-lived objects, and Python starts a full collection whenever
those grow by a quarter: often, adding some 7 ms to one request in 50. So full collections wait
for 50 collections of the middle generation instead of 10, and the youngest generation collects
every 2,000 allocations instead of 700. Larger young generations (7,000) cost more than they
save: each middle collection then walks up to 77,000 objects, 10 ms in a modal submission.

``make bench-pages BENCH_PAGES_ARGS=--served`` (1,500 requests over 100,000 incidents, one
worker): the slowest request from 87-95 to 28-29 ms, none over 50 ms instead of 5, p50 to p99
unchanged.
"""

from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 2000  # allocations (Python: 700)
FULL_COLLECTION_AFTER = 50  # collections of the middle generation (Python: 10)


def freeze_what_is_loaded() -> None:
    """Leave every object alive now out of later collections; call once the process has loaded."""
    gc.freeze()
    middle = gc.get_threshold()[1]
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, FULL_COLLECTION_AFTER)
