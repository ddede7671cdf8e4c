"""What the Fidelity rules cost the stages they live in, this tree against an earlier release.

The Fidelity issue's rules live in three stages: reading the workbook (cell kinds, merged
ranges, hidden rows and columns, control characters), validating the rows (numbers as people
type them, invisible characters, product fill, barcode and letter-case checks) and the image
slots (browser-style URL parsing, the list of images not stored). This times exactly those
stages, in process, on the same 100k-row workbook, for this tree and for a baseline tree
(`git archive` of `--baseline`, default the release before the Fidelity work), each in a fresh
Python process, in turn A B A B ... (pairs keep the ratio meaningful on a busy machine):

    .venv/bin/python bench/fidelity_ab.py                      # 100k rows, 5 pairs
    .venv/bin/python bench/fidelity_ab.py --rows 10000 --pairs 3

Not timed here: the catalog lookups of validation and the load (they run on PostgreSQL and
belong to other issues' work), Dagster, and the reading sandbox (Hardening). The whole-process
A/B of `briskk ingest` is in README "Benchmarks".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))  # run as a script: bench/ is not a package
BASELINE = "b0d74ba"  # the release before the Fidelity issue's work

# Runs in the child, with PYTHONPATH pointing at one tree. Only names both trees have.
_CHILD = r"""
import json, sys, tempfile, time
from datetime import UTC, datetime
from pathlib import Path

path, home = Path(sys.argv[1]), sys.argv[2]
data = path.read_bytes()
times = {}
started = time.perf_counter()
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline.resources import IngestSettings, LocalObjectStore
from briskk_pipeline.images.pipeline import process_images
try:  # where each tree keeps them
    from briskk_pipeline.images.frames import build_frames, image_slots
except ImportError:
    from briskk_pipeline.images.pipeline import build_frames, image_slots
try:
    from briskk_pipeline.images.failures import image_failures
except ImportError:
    image_failures = None
times["import"] = time.perf_counter() - started

t = time.perf_counter()
sheet = read_upload(data, path.name, max_rows=10**7)
times["read"] = time.perf_counter() - t

t = time.perf_counter()
rows = validate_rows(sheet.frame)
times["validate"] = time.perf_counter() - t

t = time.perf_counter()
settings = IngestSettings(home=home, inbox=home + "/inbox", fetch_images=False)
store = LocalObjectStore(root=home + "/objects")
slots = image_slots(rows.products)
urls = list(dict.fromkeys(slots["source_url"]))
outcomes = process_images(urls, store=store, settings=settings, known={})
build_frames(slots, outcomes, now=datetime.now(UTC))
if image_failures is not None:
    image_failures(slots, outcomes, rows.product_rows)
times["images"] = time.perf_counter() - t
times["stages"] = times["read"] + times["validate"] + times["images"]
import briskk_pipeline
print(json.dumps({"times": times, "skus": len(rows.skus), "tree": briskk_pipeline.__file__}))
"""


def run_once(tree: Path, workbook: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="fidelity-ab-") as home:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(workbook), home],
            env=env,
            cwd=home,  # `python -c` puts the working folder first on sys.path
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["tree"].startswith(str(tree)):  # the tree asked for, not another on the path
        raise RuntimeError(f"ran {result['tree']}, not the tree at {tree}")
    times: dict[str, float] = result["times"]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    args = parser.parse_args()

    from data import ensure_file

    workbook, _ = ensure_file(BENCH / "out" / "data", args.rows, "shared")
    with tempfile.TemporaryDirectory(prefix="fidelity-baseline-") as folder:
        baseline = Path(folder)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.baseline],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        run_once(REPO, workbook)  # warm the page cache and the workbook
        samples: dict[str, list[dict[str, float]]] = {"this": [], "baseline": []}
        for _ in range(args.pairs):
            samples["this"].append(run_once(REPO, workbook))
            samples["baseline"].append(run_once(baseline, workbook))

    stages = ("read", "validate", "images", "stages")
    print(f"{args.rows:,} rows, {args.pairs} pairs, baseline {args.baseline}; seconds, median\n")
    print("| stage | this tree | baseline | difference | ratio (pairwise median) |")
    print("|---|---:|---:|---:|---:|")
    for stage in stages:
        this = statistics.median(s[stage] for s in samples["this"])
        base = statistics.median(s[stage] for s in samples["baseline"])
        ratio = statistics.median(
            a[stage] / b[stage] for a, b in zip(samples["this"], samples["baseline"], strict=True)
        )
        name = "read + validate + images" if stage == "stages" else stage
        print(f"| {name} | {this:.2f} | {base:.2f} | {this - base:+.2f} | {ratio:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
