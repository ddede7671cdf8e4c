"""`heap.settle`: start-up's objects frozen out of the collector, thresholds raised, and cycles
made afterwards still collected. Run in a child process: the test process keeps its own GC."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import gc, json
from briskk_pipeline import heap
before = gc.get_freeze_count()
heap.settle(collect=True)
frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a
del a, b
print(json.dumps({"before": before, "frozen": frozen, "thresholds": thresholds,
                  "collected": gc.collect()}))
"""


def test_settle_freezes_start_up_and_still_collects_later_cycles():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    got = json.loads(done.stdout)
    assert got["before"] == 0 and got["frozen"] > 1000  # the interpreter and briskk_pipeline
    assert got["thresholds"] == [50_000, 50, 100]
    assert got["collected"] >= 2  # the two nodes of the cycle made after settling
