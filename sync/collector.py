"""Python's cyclic garbage collector kept away from the snapshot while a cycle works.

A snapshot is a million long-lived objects at 100,000 issues. Left alone, the
collector walks them in full collections that cost 0.6-0.8 s and land in every
other cycle; and while rules evaluate, the hundreds of thousands of records they
make (findings, evidence, indexes) set off full collections over and over, about
1 s of a 3 s evaluation (docs/benchmarks.md). Neither finds anything to free:
records are immutable trees without cycles. So a cycle freezes what it loaded
(``frozen_for_gc``) and pauses collection while rules and plans run
(``collection_paused``); what they leave is freed by reference counting, and what
they keep joins the frozen set when the section ends inside a frozen one (the
next collection would otherwise walk it all and find nothing to free).

Sections nest and overlap (a whole cycle and its evaluation; several daemon
workers in threads share one collector): each counts its depth, and only the last
section to end undoes what the first did.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_frozen_depth = 0
_paused_depth = 0
_was_enabled = True


@contextmanager
def frozen_for_gc() -> Iterator[None]:
    """Freeze what exists on entry (the cached snapshot, the records just read); the last
    section to end unfreezes, so that the snapshot can be freed as usual between cycles."""
    global _frozen_depth  # one collector per process
    with _lock:
        _frozen_depth += 1
        gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _frozen_depth -= 1
            if not _frozen_depth:
                gc.unfreeze()


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside (reference counting still frees); restored as it was
    by the last section to end."""
    global _paused_depth, _was_enabled
    with _lock:
        if not _paused_depth:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused_depth += 1
    try:
        yield
    finally:
        with _lock:
            _paused_depth -= 1
            if not _paused_depth:
                if _frozen_depth:
                    # What the section made and keeps (a cycle's findings and plan, a
                    # million records without cycles at 100,000 issues) joins the frozen
                    # set, which the frozen section lets go of at its end; else the first
                    # collection after would walk it all for nothing (0.2 s).
                    gc.freeze()
                if _was_enabled:
                    gc.enable()
