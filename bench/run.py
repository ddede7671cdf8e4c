"""`make bench`: the pipeline against the old approach and against the floor, one command.

For N = 800, 10 000 and 100 000 realistic template rows (`bench/data.py`), against one
embedded PostgreSQL with a fresh database per approach and repetition:

(a) `briskk ingest FILE --json` end to end, images off (BRISKK_FETCH_IMAGES=0), in its own
    process with its own BRISKK_HOME and DAGSTER_HOME; per-stage times are read back from
    that Dagster instance (each ingest asset records `seconds` in its metadata);
(b) the old approach (`bench/old_approach.py`): pandas + openpyxl, iterrows, an ORM object
    per row, one commit;
(c) the floor (`bench/floor.py`): fastexcel to Arrow as strings, COPY, nothing else.

Also: what a process costs before any of our code runs (interpreter, imports), an unchanged
re-ingest against the first ingest, shared-strings against inline-strings workbooks at 100k,
and 200 images with 50 ms latency (`bench/images_bench.py`, `bench/images_variants.py`).
Wall times and peak RSS are per child process. Writes `bench/out/results.json`,
`bench/results.md`, `bench/chart.png` and the `## Benchmarks` section at the end of README.md.

    .venv/bin/python bench/run.py            # everything (about 5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # 800 and 10 000 rows only (into bench/out)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import data
import images_bench
import images_variants
import measure
import report

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
BIN = Path(sys.executable).parent
SIZES = (800, 10_000, 100_000)
QUICK_SIZES = (800, 10_000)
SKUS_PER_PRODUCT = 4
# Environment the benchmark controls for every child: nothing from the caller's shell may
# point a child at another catalog, object store or instance.
_CLEARED = ("DATABASE_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PREFIX", "BRISKK_INBOX")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(extra)
    return env


def pipeline_env(home: Path, database_url: str) -> dict[str, str]:
    return child_env(
        DATABASE_URL=database_url,
        BRISKK_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster"),
        BRISKK_FETCH_IMAGES="0",
        BRISKK_MAX_ROWS=str(10 * max(SIZES)),
    )


def run_pipeline(path: Path, n_rows: int, home: Path, database_url: str) -> dict[str, Any]:
    """One `briskk ingest` in its own process, and the times its run recorded."""
    child = measure.run_child(
        [str(BIN / "briskk"), "ingest", str(path), "--json"], pipeline_env(home, database_url)
    ).check()
    summary = json.loads(child.stdout)
    expected = (n_rows // SKUS_PER_PRODUCT, n_rows)
    got = (summary["products_loaded"], summary["skus_loaded"])
    if summary["status"] != "succeeded" or got != expected or summary["errors"]:
        raise RuntimeError(f"ingest of {path} did not load {expected}: {summary}")
    times = measure.pipeline_times(home / "dagster", summary["upload_id"])
    return {
        "wall": child.wall,
        "max_rss_mb": child.max_rss_mb,
        "cli_seconds": summary["seconds"],
        "upload_id": summary["upload_id"],
        **times,
    }


def run_script(script: str, path: Path, database_url: str) -> dict[str, Any]:
    child = measure.run_child(
        [sys.executable, str(BENCH / script), str(path), "--database-url", database_url],
        child_env(),
    ).check()
    return {"wall": child.wall, "max_rss_mb": child.max_rss_mb, **json.loads(child.stdout)}


def median_sample(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The sample with the median wall time (its stage times stay consistent with it)."""
    ordered = sorted(samples, key=lambda s: s["wall"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["walls"] = [round(s["wall"], 3) for s in samples]
    return chosen


def measure_size(
    catalogs: measure.Catalogs, n_rows: int, repeats: int, skip_old: bool
) -> dict[str, Any]:
    """`repeats` runs of each approach (the old approach once from 100k rows: it takes most
    of a minute), each into a fresh database, then `repeats` unchanged re-ingests."""
    path, _ = data.ensure_file(OUT / "data", n_rows, "shared")
    samples: dict[str, list[dict[str, Any]]] = {"pipeline": [], "old": [], "floor": []}
    home = OUT / "runs" / f"pipeline-{n_rows}"
    pipeline_db = f"bench_pipeline_{n_rows}"
    for repeat in range(repeats):
        for approach in samples:
            if approach == "old" and (skip_old or (n_rows >= 100_000 and repeat > 0)):
                continue
            name = f"bench_{approach}_{n_rows}"
            url = catalogs.fresh(name)
            log(f"{n_rows} rows, {approach}, run {repeat + 1}/{repeats}")
            if approach == "pipeline":
                shutil.rmtree(home, ignore_errors=True)
                sample = run_pipeline(path, n_rows, home, url)
            else:
                script = "old_approach.py" if approach == "old" else "floor.py"
                sample = run_script(script, path, url)
            skus = catalogs.count(name, "skus")
            if skus != n_rows:
                raise RuntimeError(f"{approach} left {skus} SKUs in the catalog, not {n_rows}")
            samples[approach].append(sample)
            log(f"  {sample['wall']:.2f} s, peak RSS {sample['max_rss_mb']:.0f} MB")
            if approach != "pipeline":
                catalogs.drop(name)
    result = {k: median_sample(v) for k, v in samples.items() if v}

    # The last pipeline run left its catalog and instance: ingest the same file again. Every
    # first ingest above went into an empty catalog, so their median is the one to beat.
    again: list[dict[str, Any]] = []
    for repeat in range(repeats):
        catalogs.quiesce()
        log(f"{n_rows} rows, unchanged re-ingest {repeat + 1}/{repeats}")
        again.append(run_pipeline(path, n_rows, home, catalogs.url(pipeline_db)))
        log(f"  {again[-1]['wall']:.2f} s (first: {result['pipeline']['wall']:.2f} s)")
    result["reingest"] = {"first": result["pipeline"], "again": median_sample(again)}
    catalogs.drop(pipeline_db)
    shutil.rmtree(home)  # archives and stored outputs: hundreds of MB at 100k rows
    return result


def measure_inline(catalogs: measure.Catalogs, n_rows: int) -> dict[str, Any]:
    """The same rows as an inline-strings workbook (xlsxwriter constant_memory)."""
    path, _ = data.ensure_file(OUT / "data", n_rows, "inline")
    result: dict[str, Any] = {}
    for approach in ("pipeline", "floor"):
        name = f"bench_inline_{approach}_{n_rows}"
        url = catalogs.fresh(name)
        log(f"{n_rows} rows, inline strings, {approach}")
        if approach == "pipeline":
            home = OUT / "runs" / f"inline-{n_rows}"
            shutil.rmtree(home, ignore_errors=True)
            result[approach] = run_pipeline(path, n_rows, home, url)
            shutil.rmtree(home)
        else:
            result[approach] = run_script("floor.py", path, url)
        log(f"  {result[approach]['wall']:.2f} s")
        catalogs.drop(name)
    result["bytes"] = path.stat().st_size
    result["shared_bytes"] = data.workbook_path(OUT / "data", n_rows, "shared").stat().st_size
    return result


def measure_startup(repeats: int = 3) -> dict[str, float]:
    """Median seconds of processes that do nothing but start and import."""
    env = pipeline_env(OUT / "runs" / "startup", "postgresql://unused@localhost/unused")
    probes = {
        "python": "pass",
        "import_cli": "import briskk_pipeline.cli",
        "import_dagster": "import dagster",
        "import_data_libraries": "import pandas, pandera.pandas, pyarrow, fastexcel, sqlalchemy",
        "import_defs": "from briskk_pipeline import defs",
    }
    return {
        name: statistics.median(
            measure.run_child([sys.executable, "-c", code], env).check().wall
            for _ in range(repeats)
        )
        for name, code in probes.items()
    }


def measure_images() -> dict[str, Any]:
    log("images: process_images against one after another (bench/images_bench.py)")
    headline = images_bench.measure(200, 50)
    log(f"  {headline.concurrent_seconds:.2f} s vs {headline.sequential_seconds:.2f} s")
    log("images: other baselines and policies (bench/images_variants.py)")
    variants = images_variants.measure_variants(200, 50)
    return {
        "images": headline.images,
        "latency_ms": headline.latency_ms,
        "concurrent": headline.concurrent_seconds,
        "sequential": headline.sequential_seconds,
        "variants": variants,
    }


def timed(label: str, work: Callable[[], Any], timings: dict[str, float]) -> Any:
    started = time.perf_counter()
    try:
        return work()
    finally:
        timings[label] = round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="800 and 10 000 rows only")
    parser.add_argument("--skip-old", action="store_true", help="leave out the old approach")
    parser.add_argument("--skip-images", action="store_true", help="leave out the images")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--no-readme", action="store_true", help="do not touch README.md")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    began = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    sections: dict[str, float] = {}

    for n_rows in sizes:
        path, seconds = data.ensure_file(OUT / "data", n_rows, "shared")
        if seconds:
            log(f"wrote {path.relative_to(BENCH)} in {seconds:.1f} s")
    if not args.quick:
        path, seconds = data.ensure_file(OUT / "data", max(sizes), "inline")
        if seconds:
            log(f"wrote {path.relative_to(BENCH)} in {seconds:.1f} s")

    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": report.describe_machine(),
        "sizes": {},
    }
    log("start-up probes")
    results["startup"] = timed("startup", measure_startup, sections)
    catalogs = measure.Catalogs(OUT / "postgres")
    try:
        results["machine"]["postgresql"] = catalogs.server_version()
        for n_rows in sizes:
            results["sizes"][str(n_rows)] = timed(
                f"rows_{n_rows}",
                lambda n=n_rows: measure_size(catalogs, n, args.repeats, args.skip_old),
                sections,
            )
        if not args.quick:
            results["inline"] = timed(
                "inline", lambda: measure_inline(catalogs, max(sizes)), sections
            )
    finally:
        catalogs.close()
    if not args.skip_images:
        results["images"] = timed("images", measure_images, sections)
    results["bench_seconds"] = round(time.perf_counter() - began, 1)
    results["section_seconds"] = sections

    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    # A --quick run is for trying things out: it never replaces the committed results.
    target = OUT if args.quick else BENCH
    (target / "results.md").write_text(report.results_markdown(results))
    report.chart(results, target / "chart.png")
    if not (args.quick or args.no_readme):
        report.update_readme(BENCH.parent / "README.md", report.readme_section(results))
    shown = target.relative_to(BENCH.parent)
    log(f"done in {results['bench_seconds']:.0f} s: {shown}/results.md, {shown}/chart.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
