"""Where one `briskk ingest` process spends its time: pyinstrument, summed by stage.

Runs `briskk ingest FILE --json` (images off) in a child process under pyinstrument
(`pyinstrument -r session`), then walks the recorded call tree top-down and charges every
sample to the first stage its stack enters:

- **imports**: any frame under an `import` (module-level code of every module loaded,
  lazy imports inside functions included);
- **resources and instance**: `open_resources` (Dagster's `build_resources`) and
  `DagsterInstance.get`;
- **registration**: `start_upload` (archive, sheet-name claim, upload record, partition);
- **asset bodies**: `raw_sheet`, `validated_rows`, `product_images`, `readiness`,
  `catalog_load`, `upload_report`, each on its own;
- **outputs stored/loaded**: the object-store IO manager;
- **Dagster run machinery**: the rest of `execute_in_process` (run and step events written to
  the instance, plan, resources per step, checks);
- **summary and exit**: printing the summary; **interpreter and CLI**: whatever is left
  (start-up, argument parsing).

The child process of the reading sandbox (`ingest/sandbox.py`) is not in the profile: its CPU
shows in `/usr/bin/time`'s figures, not here. pyinstrument's own overhead inflates every stage
(about 1.3×): the shares are what to read.

    .venv/bin/python bench/split.py [--rows 800] [--runs 3]

Needs the benchmark's data and PostgreSQL (it starts `bench/out/postgres` as `run.py` does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import data
import measure
import run

BODIES = (
    "raw_sheet",
    "validated_rows",
    "product_images",
    "readiness",
    "catalog_load",
    "upload_report",
)
SETUP = ("open_resources", "get")  # `DagsterInstance.get`
STAGES = (
    "interpreter and CLI",
    "imports",
    "resources and instance",
    "registration",
    "Dagster run machinery",
    *(f"asset body `{b}`" for b in BODIES),
    "outputs stored/loaded",
    "summary and exit",
)


def stage_of(frame: Any, current: str) -> str:
    """The stage a frame starts, or `current` (the stage of its caller)."""
    function, path = frame.function, frame.file_path or ""
    if current == "imports":
        return current
    if function == "_find_and_load":  # every import statement's, lazy ones too
        return "imports"
    if "briskk_pipeline" in path and function in BODIES:
        return f"asset body `{function}`"
    if current.startswith("asset body"):
        return current
    if "storage/io_manager.py" in path and function in ("handle_output", "load_input"):
        return "outputs stored/loaded"
    if function == "open_resources" or (function == "get" and "instance/instance.py" in path):
        return "resources and instance"
    if function == "start_upload":
        return "registration"
    if function == "execute_in_process":
        return "Dagster run machinery"
    if function == "report_run":
        return "summary and exit"
    return current


def charge(frame: Any, current: str, totals: dict[str, float]) -> None:
    stage = stage_of(frame, current)
    children = frame.children
    totals[stage] += frame.time - sum(child.time for child in children)
    for child in children:
        charge(child, stage, totals)


def profile_once(path: Path, database_url: str, home: Path) -> tuple[dict[str, float], float]:
    """One profiled `briskk ingest` into a fresh state folder: seconds per stage, duration."""
    from pyinstrument.session import Session

    shutil.rmtree(home, ignore_errors=True)
    with tempfile.TemporaryDirectory() as scratch:
        session_path = Path(scratch) / "ingest.pyisession"
        done = subprocess.run(
            [
                str(run.BIN / "pyinstrument"),
                "-i",
                "0.001",
                "-r",
                "session",
                "-o",
                str(session_path),
                "-m",
                "briskk_pipeline.cli",
                "ingest",
                str(path),
                "--json",
            ],
            env=run.pipeline_env(home, database_url),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"profiled ingest failed:\n{done.stderr[-3000:]}")
        session = Session.load(str(session_path))
    totals: dict[str, float] = defaultdict(float)
    root = session.root_frame()
    assert root is not None
    charge(root, "interpreter and CLI", totals)
    return dict(totals), session.duration


def split(n_rows: int, runs: int, catalogs: measure.Catalogs | None = None) -> dict[str, Any]:
    """Median seconds per stage over `runs` profiled ingests of `n_rows` rows (on `catalogs`'
    PostgreSQL, else the benchmark's own, started and stopped here)."""
    path, _ = data.ensure_file(run.OUT / "data", n_rows, "shared")
    owned = catalogs is None
    catalogs = catalogs or measure.Catalogs(run.OUT / "postgres")
    samples: list[dict[str, float]] = []
    durations: list[float] = []
    try:
        for repeat in range(runs):
            url = catalogs.fresh(f"bench_split_{n_rows}")
            run.log(f"profiled ingest {repeat + 1}/{runs}, {n_rows} rows")
            totals, duration = profile_once(path, url, run.OUT / "runs" / f"split-{n_rows}")
            samples.append(totals)
            durations.append(duration)
        catalogs.drop(f"bench_split_{n_rows}")
    finally:
        if owned:
            catalogs.close()
    stages = {s: statistics.median(t.get(s, 0.0) for t in samples) for s in STAGES}
    return {"rows": n_rows, "duration": statistics.median(durations), "stages": stages}


def markdown(result: dict[str, Any]) -> str:
    total = sum(result["stages"].values())
    lines = [
        f"| stage (`briskk ingest`, {result['rows']:,} rows, profiled) | seconds | share |",
        "|---|---:|---:|",
    ]
    for stage, seconds in result["stages"].items():
        lines.append(f"| {stage} | {seconds:.3f} | {100 * seconds / total:.0f} % |")
    lines.append(f"| **whole process (profiled)** | **{result['duration']:.2f}** | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=800)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("PYTHONSTARTUP", None)
    result = split(args.rows, args.runs)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
