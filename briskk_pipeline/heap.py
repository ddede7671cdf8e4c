"""The cyclic garbage collector in a process that runs uploads: fewer, cheaper collections.

Python's collector scans every container object it tracks, and a process that has imported
Dagster, pandas, pandera and openpyxl holds a few hundred thousand of them that live as long
as the process. With the default thresholds (700, 10, 10) an 800-row upload makes thousands of
young collections and several full ones, each full one scanning all of those; measured in a
warm process (`bench/`, 4 runs each, same machine and load): 1.9 s of CPU per 800-row run as
it was, 1.69 s with `gc.freeze()` after start-up, 1.55 s with the thresholds below as well.

`gc.freeze()` (Python docs, `gc` module: "freeze all the objects tracked by the garbage
collector; move them to a permanent generation and ignore them in all the future
collections") is the documented way for a long-lived process to take what start-up built out
of every later collection. Nothing is turned off: cycles made after start-up are still
collected, young ones after `YOUNG_THRESHOLD` allocations instead of 700.
"""

from __future__ import annotations

import gc
from typing import Final

# allocations (minus deallocations) of container objects between young collections, then
# young collections per middle one and middle ones per full one (gc.set_threshold)
YOUNG_THRESHOLD: Final = 50_000
THRESHOLDS: Final = (YOUNG_THRESHOLD, 50, 100)


def settle(*, collect: bool = False) -> None:
    """Call once start-up is done (imports, Definitions, resources): everything tracked so far
    is frozen and the thresholds become `THRESHOLDS`. `collect=True` (a server, which lives
    long) collects first, so no garbage of start-up is frozen with the rest; a one-upload
    command leaves it (a full collection of its heap costs more than what it would free)."""
    if collect:
        gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    use_system_allocator()


def use_system_allocator() -> None:
    """Arrow's buffers from then on come from the C library's allocator
    (`pyarrow.set_memory_pool(pyarrow.system_memory_pool())`) instead of Arrow's default
    mimalloc pool, which keeps the pages of freed buffers for reuse: over a 100k-row upload
    (frames of 100,000 strings made and dropped step after step) the process's resident
    memory stayed about 60 MB higher with it (bench, `/usr/bin/time` %M), for no measured
    difference in CPU time."""
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def collect() -> None:
    """A full collection now: what a run or step left in reference cycles (an openpyxl
    workbook, pandas frames) is freed before the next big allocation instead of whenever the
    thresholds of `settle` next allow a full collection; then Arrow's memory pool gives the
    pages it no longer uses back to the system (`MemoryPool.release_unused`)."""
    gc.collect()
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
