"""Is the images baseline representative, and how far can `process_images` go?

`images_bench.measure` gives the headline (process_images with the production `FetchPolicy`
against a one-after-another loop on one kept-alive httpx client). This module serves the same
200 images with the same latency (the same server, `images_bench._serve`, in its own process)
and times more ways of fetching them:

- the old service's way: `requests.get(url)` per URL with no session, so a new TCP connection
  per image, then verify and store, one after another;
- one after another on one kept-alive httpx client (the headline's baseline);
- `process_images` with the production policy (32 workers, 16 requests at a time per host);
- `process_images` with looser per-host limits (32 and 64), to show what the limit costs.

    .venv/bin/python bench/images_variants.py [--images 200] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from images_bench import _sequential, _serve, _settings  # the same server and baseline

from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.images.frames import count_outcomes
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.images.store import store_image
from briskk_pipeline.images.verify import verify_image
from briskk_pipeline.resources import LocalObjectStore


def _requests_per_url(urls: list[str], store: LocalObjectStore) -> None:
    """What the old service did: a bare `requests.get` per URL (new connection each time)."""
    for url in urls:
        response = requests.get(url, timeout=15)
        response.raise_for_status()
        store_image(store, response.content, verify_image(response.content))


def _concurrent(policy: FetchPolicy) -> Callable[[list[str], LocalObjectStore, Path], None]:
    def run(urls: list[str], store: LocalObjectStore, root: Path) -> None:
        outcomes = process_images(urls, store=store, settings=_settings(root), policy=policy)
        counts = count_outcomes(outcomes)
        if counts["stored"] != len(urls):
            raise RuntimeError(f"expected {len(urls)} stored images, got {counts}")

    return run


VARIANTS: dict[str, tuple[str, FetchPolicy | None]] = {
    "requests_per_url": ("one after another, requests.get per URL (new connection each)", None),
    "httpx_keepalive": ("one after another, one kept-alive httpx client", None),
    "default": ("process_images, production policy (32 workers, 16 per host)", FetchPolicy()),
    "per_host_32": ("process_images, 32 workers, 32 per host", FetchPolicy(per_host=32)),
    "per_host_64": (
        "process_images, 64 workers, 64 per host",
        FetchPolicy(workers=64, per_host=64),
    ),
}


def measure_variants(images: int = 200, latency_ms: int = 50) -> dict[str, dict[str, object]]:
    """Seconds for each variant, all against one server process serving `images` images."""
    ready_parent, ready_child = mp.Pipe()
    stop_parent, stop_child = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=_serve, args=(images, latency_ms / 1000, ready_child, stop_child), daemon=True
    )
    server.start()
    results: dict[str, dict[str, object]] = {}
    try:
        urls: list[str] = ready_parent.recv()
        for key, (label, policy) in VARIANTS.items():
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                store = LocalObjectStore(root=str(root / "objects"))
                started = time.perf_counter()
                if key == "requests_per_url":
                    _requests_per_url(urls, store)
                elif key == "httpx_keepalive":
                    _sequential(urls, store)
                else:
                    assert policy is not None
                    _concurrent(policy)(urls, store, root)
                seconds = time.perf_counter() - started
                stored = len(list((root / "objects" / "images").iterdir()))
                if stored != images:
                    raise RuntimeError(f"{key}: stored {stored} images, expected {images}")
            results[key] = {"label": label, "seconds": seconds}
    finally:
        stop_parent.send("stop")
        server.join(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    print(json.dumps(measure_variants(args.images, args.latency_ms), indent=2))


if __name__ == "__main__":
    main()
