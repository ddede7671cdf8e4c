"""Benchmark: `product_images` on an 800-row upload with and without the readiness facts.

The readiness facts (border whiteness and perceptual hash, readiness/image_facts.py) are
measured inside `images/verify.py` on every image decoded. This runs `process_images` (the body
of `product_images`) over the 1,000 distinct image URLs of `template_rows(800, realistic=True)`
twice per round: as shipped, and with `measure` replaced by a stub that returns nothing (the
code before readiness, which did not measure). Rounds alternate the order; every run stores
into a fresh local object store, so every URL is fetched, decoded and stored each time.

The photos are 24 distinct 1080 × 1440 JPEGs (fabric-like noise, quality 90, 400-600 KB, as
marketplace photos are), each URL serving one of them; the server is the test suite's loopback
server in a separate process (a real image host is another machine). Also times the
`readiness` asset's own work (verdicts for the six channels) on the same upload's frames.

    .venv/bin/python bench/readiness_bench.py [--rounds 5] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briskk_pipeline.images import verify
from briskk_pipeline.images.frames import build_frames, count_outcomes, image_slots
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.readiness.facts import image_infos, product_facts
from briskk_pipeline.readiness.image_facts import ImageFacts
from briskk_pipeline.readiness.rulesets import rule_sets
from briskk_pipeline.readiness.verdict import verdicts
from briskk_pipeline.resources import IngestSettings, LocalObjectStore
from briskk_pipeline.template import IMAGE_COLUMNS, PRODUCT_COLUMNS, SKU_COLUMNS
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer
from briskk_pipeline_tests.readiness.photos import GREY, WHITE, photo
from briskk_pipeline_tests.workbooks import template_rows

PHOTOS = 24
ROWS = 800


def _serve(latency: float, conn: Connection) -> None:
    server = LoopbackHTTPServer("127.0.0.1").start()
    bodies = [
        photo((1080, 1440), GREY if i % 3 else WHITE, seed=i, quality=90, noise=60)
        for i in range(PHOTOS)
    ]
    conn.send(server.url(""))
    paths: list[str] = conn.recv()
    for i, path in enumerate(paths):
        server.serve_bytes(path, bodies[i % PHOTOS], "image/jpeg")
    server.latency = latency
    conn.send(sum(len(b) for b in bodies) // PHOTOS)
    conn.recv()
    server.stop()


def _not_measured(image: object) -> ImageFacts:
    return ImageFacts(border_white=None, phash=None)  # type: ignore[arg-type]


def _run(urls: list[str], root: Path, name: str, measured: bool) -> tuple[float, float, dict]:
    real = verify.measure
    if not measured:
        verify.measure = _not_measured  # type: ignore[assignment]
    try:
        settings = IngestSettings(
            home=str(root), inbox=str(root / "inbox"), allowed_image_hosts="127.0.0.1"
        )
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = process_images(
            urls, store=LocalObjectStore(root=str(root / name)), settings=settings
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        verify.measure = real
    counts = count_outcomes(outcomes)
    if counts["stored"] != len(urls):
        raise RuntimeError(f"expected {len(urls)} stored, got {counts}")
    return seconds, cpu, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args()
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=_serve, args=(args.latency_ms / 1000, child), daemon=True
    )
    server.start()
    try:
        base = parent.recv().rstrip("/")
        rows = template_rows(ROWS, realistic=True, image_base=base)
        products = pd.DataFrame(rows).drop_duplicates("product_id")[list(PRODUCT_COLUMNS)]
        products = products.astype("string")
        slots = image_slots(products)
        urls = list(dict.fromkeys(slots["source_url"]))
        parent.send(list(dict.fromkeys(urlsplit(u).path for u in urls)))
        mean_bytes = parent.recv()
        timings: dict[bool, list[float]] = {True: [], False: []}
        cpus: dict[bool, list[float]] = {True: [], False: []}
        last = None
        with tempfile.TemporaryDirectory() as tmp:
            for round_ in range(args.rounds):
                order = (False, True) if round_ % 2 == 0 else (True, False)
                for measured in order:
                    name = f"r{round_}-{'on' if measured else 'off'}"
                    seconds, cpu, outcomes = _run(urls, Path(tmp), name, measured)
                    timings[measured].append(seconds)
                    cpus[measured].append(cpu)
                    if measured:
                        last = outcomes
        assert last is not None
        images, slot_rows = build_frames(slots, last, now=datetime.now(UTC))
        skus = pd.DataFrame(rows)[["product_id", *SKU_COLUMNS]].astype("string")
        started = time.perf_counter()
        facts = product_facts(products, skus, slot_rows, image_infos(images))
        found = verdicts(facts, list(rule_sets().values()))
        verdict_seconds = time.perf_counter() - started
    finally:
        parent.send("stop")
        server.join(timeout=10)
    before, after = statistics.median(timings[False]), statistics.median(timings[True])
    best_before, best_after = min(timings[False]), min(timings[True])
    cpu_before, cpu_after = statistics.median(cpus[False]), statistics.median(cpus[True])
    print(
        f"{ROWS} rows, {len(products)} products, {len(urls)} distinct image URLs "
        f"({len(IMAGE_COLUMNS)} slots max), photos 1080 x 1440 JPEG of {mean_bytes // 1024} KB "
        f"on average, {args.latency_ms} ms latency, {args.rounds} rounds"
    )
    print(
        "| product_images (process_images) | median wall | best wall | median CPU | wall runs |"
        "\n|---|---|---|---|---|"
    )
    print(
        f"| without readiness facts (before) | {before:.2f} s | {best_before:.2f} s "
        f"| {cpu_before:.2f} s | {_runs(timings[False])} |"
    )
    print(
        f"| with readiness facts (after) | {after:.2f} s | {best_after:.2f} s "
        f"| {cpu_after:.2f} s | {_runs(timings[True])} |"
    )
    print(
        f"| change | {_pct(before, after)} | {_pct(best_before, best_after)} "
        f"| {_pct(cpu_before, cpu_after)} | |"
    )
    print(f"\nreadiness verdicts: {len(found)} (products x 6 channels) in {verdict_seconds:.3f} s")


def _verify_ms(repeats: int = 200) -> tuple[float, float]:
    """Median ms of `verify_image` on one 1080 x 1440 JPEG, without and with the facts,
    alternating, on one thread: the added work without the machine's other noise."""
    data = photo((1080, 1440), GREY, seed=3, quality=90, noise=60)
    times: dict[bool, list[float]] = {True: [], False: []}
    real = verify.measure
    for i in range(repeats * 2):
        measured = i % 2 == 0
        verify.measure = real if measured else _not_measured  # type: ignore[assignment]
        started = time.perf_counter()
        verify.verify_image(data)
        times[measured].append((time.perf_counter() - started) * 1000)
    verify.measure = real
    return statistics.median(times[False]), statistics.median(times[True])


def _pct(before: float, after: float) -> str:
    return f"{100 * (after - before) / before:+.1f} %"


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
