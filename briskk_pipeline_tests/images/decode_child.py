"""Run by `test_memory.py` in a child process under a memory limit: `process_images` on the URLs
given, with a pixel budget, printing each URL's outcome and the process's peak address space.

Usage: python -m briskk_pipeline_tests.images.decode_child HOME PIXEL_BUDGET URL...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.resources import IngestSettings, LocalObjectStore


def _peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmPeak:"):
            return int(line.split()[1])
    return -1


def main(home: str, pixel_budget: str, *urls: str) -> None:
    settings = IngestSettings(
        home=home,
        inbox=f"{home}/inbox",
        allowed_image_hosts="127.0.0.1",
        image_pixel_budget=int(pixel_budget),
    )
    store = LocalObjectStore(root=f"{home}/objects")
    outcomes = process_images(list(urls), store=store, settings=settings)
    result = {
        "outcomes": {url: [o.status.value, o.reason] for url, o in outcomes.items()},
        "peak_kib": _peak_kib(),
    }
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
