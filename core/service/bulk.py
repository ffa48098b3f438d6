"""Big in-memory work (a registry file of a million rows) beside a till that must keep answering.

Parsing such a file builds millions of objects; CPython's cyclic garbage collector then runs full collections over
the whole heap, each holding the GIL for 100-250 ms while the event loop waits (measured with gc.callbacks during
bench/import_responsiveness.py). The parsed rows hold no reference cycles and are freed by reference counting, so
the collector has nothing to find in them: it is paused while the work runs and resumed once the work's objects
are gone (the caller ends the `with` after dropping them, or the young generation it resumes with would hold them
all). Nested and concurrent uses share one pause; the collector resumes when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_resume = False  # whether the collector was on when the first holder paused it


@contextmanager
def collector_paused() -> Iterator[None]:
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()


def freeze_startup_heap() -> None:
    """Move what the process built at start-up (the app, its routes, templates, schemas: some 160,000 objects) out
    of the collector's sight, so that every full collection after it, during an import or not, scans only what was
    made since (gc.freeze, as the Python docs advise for servers). Called once per worker, when the app starts."""
    gc.collect()
    gc.freeze()
