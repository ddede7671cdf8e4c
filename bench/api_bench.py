"""The warm HTTP server against `briskk ingest`, the old approach and the floor: 800 rows.

One run measures, side by side, on one embedded PostgreSQL with a fresh database per
approach, images off:

- **api**: `POST /ingest?wait=60` to an already running `briskk serve` (one warm-up upload
  first), the client's wall time per request; the median of `--repeats` (≥ 10) uploads, each
  a new upload of the same file (the second and later are unchanged re-ingests, as a brand
  re-sending its sheet). The run's own time and per-stage seconds are read back from the
  server's Dagster instance, so the table says where the time goes.
- **cli**: `briskk ingest FILE --json` in its own process (`run.run_pipeline`).
- **old approach** and **floor**: `bench/old_approach.py` and `bench/floor.py` processes.

    .venv/bin/python bench/api_bench.py [--repeats 10]

Writes `bench/out/api.json` and prints a markdown table (pasted into `bench/results.md`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import data
import measure
import run

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briskk_pipeline_tests.api.server import running_server

N_ROWS = 800


def measure_api(catalogs: measure.Catalogs, path: Path, repeats: int) -> dict[str, Any]:
    url = catalogs.fresh("bench_api_800")
    home = run.OUT / "runs" / "api-800"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    walls: list[float] = []
    runs: list[dict[str, Any]] = []
    extra = {"BRISKK_MAX_ROWS": str(10 * N_ROWS)}
    with running_server(url, home, **extra) as server, server.client(server.token("BrandA")) as c:
        body = path.read_bytes()
        for repeat in range(repeats + 1):
            started = time.perf_counter()
            response = c.post("/ingest?wait=60", files={"file": (path.name, body)})
            wall = time.perf_counter() - started
            summary = response.json()
            if response.status_code != 200 or summary["skus_loaded"] != N_ROWS:
                raise RuntimeError(f"API upload failed: {response.status_code} {summary}")
            if repeat == 0:
                run.log(f"  warm-up {wall:.2f} s")
                continue
            walls.append(wall)
            runs.append(measure.pipeline_times(home / "dagster", summary["upload_id"]))
            run.log(f"  api {repeat}/{repeats}: {wall:.3f} s")
    catalogs.drop("bench_api_800")
    shutil.rmtree(home, ignore_errors=True)
    median_run = statistics.median(r["run_seconds"] for r in runs)
    stages = {s: statistics.median(r["stages"][s] for r in runs) for s in measure.STAGES}
    return {
        "walls": [round(w, 3) for w in walls],
        "wall": statistics.median(walls),
        "run_seconds": median_run,
        "stages": stages,
    }


def measure_processes(catalogs: measure.Catalogs, path: Path, repeats: int) -> dict[str, Any]:
    out: dict[str, list[float]] = {"cli": [], "old": [], "floor": []}
    for repeat in range(repeats):
        for approach in out:
            name = f"bench_{approach}_api_800"
            url = catalogs.fresh(name)
            if approach == "cli":
                home = run.OUT / "runs" / "api-cli-800"
                shutil.rmtree(home, ignore_errors=True)
                sample = run.run_pipeline(path, N_ROWS, home, url)
            else:
                script = "old_approach.py" if approach == "old" else "floor.py"
                sample = run.run_script(script, path, url)
            out[approach].append(sample["wall"])
            run.log(f"  {approach} {repeat + 1}/{repeats}: {sample['wall']:.2f} s")
            catalogs.drop(name)
    return {
        k: {"walls": [round(w, 3) for w in v], "wall": statistics.median(v)} for k, v in out.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10, help="API uploads measured")
    parser.add_argument("--process-repeats", type=int, default=3)
    args = parser.parse_args()
    path, _ = data.ensure_file(run.OUT / "data", N_ROWS, "shared")
    catalogs = measure.Catalogs(run.OUT / "pg-api")
    try:
        run.log(f"{N_ROWS} rows through the warm server, {args.repeats} uploads")
        api = measure_api(catalogs, path, args.repeats)
        run.log(f"{N_ROWS} rows as processes: briskk ingest, old approach, floor")
        processes = measure_processes(catalogs, path, args.process_repeats)
    finally:
        catalogs.close()
    result = {"rows": N_ROWS, "api": api, **processes}
    (run.OUT / "api.json").write_text(json.dumps(result, indent=2))
    floor = processes["floor"]["wall"]
    print("| approach | median wall | ÷ floor | samples |")
    print("|---|---:|---:|---|")
    rows = [
        ("warm server `POST /ingest?wait` (client wall)", api),
        ("`briskk ingest` (process)", processes["cli"]),
        ("old approach (process)", processes["old"]),
        ("floor (process)", processes["floor"]),
    ]
    for label, sample in rows:
        walls = ", ".join(f"{w:.2f}" for w in sample["walls"])
        print(f"| {label} | {sample['wall']:.2f} s | {sample['wall'] / floor:.2f}× | {walls} |")
    stage_text = ", ".join(f"{k} {v:.3f} s" for k, v in api["stages"].items())
    print(
        f"\nserver run (Dagster run start to end, median): {api['run_seconds']:.3f} s; "
        f"asset bodies: {stage_text}"
    )


if __name__ == "__main__":
    main()
