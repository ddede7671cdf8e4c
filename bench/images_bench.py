"""Benchmark: fetching, verifying and storing 200 distinct images served with 50 ms latency.

`process_images` (a thread pool, at most 16 requests at a time per host, kept-alive
connections) against a one-after-another baseline: a plain loop that fetches each URL with one
keep-alive httpx client, verifies it and stores it. Both write to a fresh local object store.
The image server is the test suite's loopback server, run in a separate process so its own
work does not compete with the pipeline for the interpreter lock (a real image host is another
machine). Prints a markdown table row.

    .venv/bin/python bench/images_bench.py [--images 200] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briskk_pipeline.images.frames import count_outcomes
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.images.store import store_image
from briskk_pipeline.images.verify import verify_image
from briskk_pipeline.resources import IngestSettings, LocalObjectStore
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer


@dataclass(frozen=True)
class ImagesBench:
    images: int
    latency_ms: int
    concurrent_seconds: float
    sequential_seconds: float

    @property
    def speedup(self) -> float:
        return self.sequential_seconds / self.concurrent_seconds

    def markdown(self) -> str:
        return (
            f"| images: {self.images} distinct, {self.latency_ms} ms latency, loopback "
            f"| {self.concurrent_seconds:.2f} s | {self.sequential_seconds:.2f} s "
            f"| {self.speedup:.1f}× |"
        )


HEADER = "| benchmark | process_images | one after another | speed-up |\n|---|---|---|---|"


def _serve(images: int, latency: float, ready: Connection, stop: Connection) -> None:
    server = LoopbackHTTPServer("127.0.0.1").start()
    urls = [
        server.serve_image(f"/img/{i}.png", "PNG", (64, 64), (i % 256, i // 256, 128))[0]
        for i in range(images)
    ]
    server.latency = latency
    ready.send(urls)
    stop.recv()
    ready.send(len(server.requests))
    server.stop()


def _settings(root: Path) -> IngestSettings:
    return IngestSettings(
        home=str(root), inbox=str(root / "inbox"), allowed_image_hosts="127.0.0.1"
    )


def _sequential(urls: list[str], store: LocalObjectStore) -> None:
    with httpx.Client(timeout=15.0) as client:
        for url in urls:
            response = client.get(url)
            response.raise_for_status()
            store_image(store, response.content, verify_image(response.content))


def measure(images: int = 200, latency_ms: int = 50) -> ImagesBench:
    ready_parent, ready_child = mp.Pipe()
    stop_parent, stop_child = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=_serve, args=(images, latency_ms / 1000, ready_child, stop_child), daemon=True
    )
    server.start()
    try:
        urls: list[str] = ready_parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            started = time.perf_counter()
            outcomes = process_images(
                urls,
                store=LocalObjectStore(root=str(root / "concurrent")),
                settings=_settings(root),
            )
            concurrent = time.perf_counter() - started
            counts = count_outcomes(outcomes)
            objects = len(list((root / "concurrent" / "images").iterdir()))
            if counts["stored"] != images or objects != images:
                raise RuntimeError(f"expected {images} stored images, got {counts}, {objects}")

            started = time.perf_counter()
            _sequential(urls, LocalObjectStore(root=str(root / "sequential")))
            sequential = time.perf_counter() - started
            stored = len(list((root / "sequential" / "images").iterdir()))
            if stored != images:
                raise RuntimeError(f"baseline stored {stored} images, expected {images}")
    finally:
        stop_parent.send("stop")
        server.join(timeout=10)
    return ImagesBench(images, latency_ms, concurrent, sequential)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    result = measure(args.images, args.latency_ms)
    print(HEADER)
    print(result.markdown())


if __name__ == "__main__":
    main()
