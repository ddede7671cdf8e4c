"""Peak memory of `briskk ingest --dry-run` for hostile files, over a tiny ordinary file.

Issue 20 item 2: no file of the hostile set may cost more than ~300 MB over the baseline.
Each file runs in its own `briskk ingest --dry-run --json` process, default settings, on one
embedded PostgreSQL (a fresh catalog per file) and one state folder. Two figures per file:

- `peak RSS`: the command's peak resident set as the kernel kept it (`os.wait4` in a small
  launcher, so the launcher's own size never counts; Linux reports the largest of the command
  and every child it waited for, the reading sandbox included);
- `peak tree`: the proportional set size (PSS) of the command and all its children summed,
  sampled every 20 ms with psutil (a peak shorter than 20 ms can be missed; children that
  run at the same time are added up, which `ru_maxrss` does not do; pages they share are
  counted once).

Both are shown over the baseline: the same command on `template_rows(8)` (8 rows, 2
products), measured first and twice (the first run also creates the Dagster instance).

    .venv/bin/python bench/hostile_memory.py            # prints a markdown table
    .venv/bin/python bench/hostile_memory.py --json     # the same as JSON
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import Catalogs
from briskk_pipeline_tests.hostile import (
    PEAK_RSS_LAUNCHER,
    SHEET,
    huge_cell_workbook,
    long_text,
    one_product_with_a_huge_cell,
)
from briskk_pipeline_tests.hostile import rewrite as _rewrite
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

SAMPLE_SECONDS = 0.02
MB = 2**20
SHEET_PART = "xl/worksheets/sheet1.xml"


@dataclass(frozen=True)
class Measured:
    """One file's run: its size, what `briskk` said, and its memory in MB."""

    name: str
    file_bytes: int
    exit_code: int
    outcome: str  # the upload's status, or the first line of stderr
    peak_rss_mb: float
    peak_tree_mb: float  # PSS of the command and its children, summed, sampled


def hostile_files(folder: Path) -> dict[str, Path]:
    """The hostile set (the cases of tests/ingest/test_sandbox*.py and test_inbox_hostile.py,
    and issue 20's 2 MB cell), written into `folder`; the first entry is the baseline."""
    small = write_xlsx(folder / "small.xlsx", template_rows(8), sheet_name=SHEET)
    plain = small.read_bytes()
    files: dict[str, Path] = {"baseline: 8 ordinary rows (xlsx)": small}

    def add(name: str, file_name: str, data: bytes) -> None:
        path = folder / file_name
        path.write_bytes(data)
        files[name] = path

    files["ordinary: 800 realistic rows (xlsx)"] = write_xlsx(
        folder / "ordinary800.xlsx", template_rows(800, realistic=True), sheet_name=SHEET
    )
    add(
        "2 MB cell on row 2, 799 more rows of that product (xlsx)",
        "huge-cell.xlsx",
        huge_cell_workbook(folder / "huge-cell-src.xlsx"),
    )
    add(
        "2 MB cell on row 2, 799 more rows of that product (csv)",
        f"{SHEET}.csv",
        csv_bytes(one_product_with_a_huge_cell()),
    )
    files["32,767-character names (Excel's most) on all 800 rows (xlsx)"] = write_xlsx(
        folder / "long-cells.xlsx",
        [dict(r, product_name=long_text(32_767)) for r in template_rows(800)],
        sheet_name=SHEET,
    )
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    add("a cell at XFD1048576 (17 billion cells)", "far.xlsx", _rewrite(plain, SHEET_PART,
        lambda xml: xml.replace(b"</sheetData>", far)))  # fmt: skip
    add(
        "deflate bomb: a 40 MB part of spaces",
        "bomb.xlsx",
        _rewrite(plain, "xl/comments1.xml", lambda _: b" " * (40 * MB)),
    )
    dtd = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    add(
        "entity expansion (a DTD in the sheet)",
        "entities.xlsx",
        _rewrite(
            plain,
            SHEET_PART,
            lambda xml: dtd + xml.split(b"?>", 1)[1].replace(b"<sheetData>", b"<sheetData>&lol2;"),
        ),
    )
    add(
        "shared strings claiming 4,000,000,000 entries",
        "sst.xlsx",
        _rewrite(
            plain,
            "xl/sharedStrings.xml",
            lambda xml: xml.replace(b'uniqueCount="', b'uniqueCount="4000000000" x="', 1),
        ),
    )
    return files


def _tree_pss(process: psutil.Process) -> int:
    """The proportional set size of `process` and its children, summed: pages shared between
    them (the sandbox is forked) are split among them, never counted twice."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # it ended meanwhile
            total += member.memory_full_info().pss
    return total


def measure(path: Path, env: dict[str, str], name: str) -> Measured:
    """Run `briskk ingest --dry-run --json PATH --tenant BrandA`; its exit and peak memory."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "usage.json"
        command = [sys.executable, "-m", "briskk_pipeline.cli", "ingest", "--dry-run", "--json"]
        launcher = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", PEAK_RSS_LAUNCHER, str(report), *command,
             str(path), "--tenant", "BrandA"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            watched = psutil.Process(launcher.pid)
            while not done.is_set():
                try:
                    children = watched.children()  # the command (not the small launcher)
                    if children:
                        peak[0] = max(peak[0], _tree_pss(children[0]))
                except psutil.Error:
                    pass
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = launcher.communicate(timeout=900)
        done.set()
        sampler.join()
        usage = json.loads(report.read_text())
    code = os.waitstatus_to_exitcode(usage["status"])
    try:
        summary = json.loads(stdout)
        problems = summary["errors"]
        outcome = f"{summary['status']}, {len(problems)} problem{'s' * (len(problems) != 1)}"
        if problems:
            outcome += f": {str(problems[0]['message'])[:70]}"
    except (ValueError, KeyError, TypeError):
        lines = [line for line in stderr.splitlines() if not line.startswith("briskk: catalog")]
        outcome = (lines[-1] if lines else "?")[:120]
    return Measured(
        name=name,
        file_bytes=path.stat().st_size,
        exit_code=code,
        outcome=outcome,
        peak_rss_mb=usage["max_rss_kb"] / 1024,
        peak_tree_mb=peak[0] / MB,
    )


def measure_all(work: Path) -> list[Measured]:
    """Every file of the hostile set, the baseline first (measured twice, the second kept)."""
    files = hostile_files(work / "files")
    catalogs = Catalogs(work / "postgres")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "BRISKK_"))}
    env.update(BRISKK_HOME=str(work / "home"), BRISKK_FETCH_IMAGES="0")
    results: list[Measured] = []
    try:
        for n, (name, path) in enumerate(files.items()):
            database = f"hostile_{n}"
            for _ in range(2 if n == 0 else 1):
                env["DATABASE_URL"] = catalogs.fresh(database)
                measured = measure(path, env, name)
            catalogs.drop(database)
            results.append(measured)
    finally:
        catalogs.close()
    return results


def table(results: list[Measured]) -> str:
    """A markdown table: each file's size, outcome, and peak memory over the baseline."""
    base = results[0]
    lines = [
        "| file | size | `briskk` says | peak RSS | over baseline | peak tree | over baseline |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        kb, mb = r.file_bytes / 1024, r.file_bytes / MB
        size = f"{kb:,.0f} KB" if r.file_bytes < MB else f"{mb:.1f} MB"
        lines.append(
            f"| {r.name} | {size} | {r.outcome} (exit {r.exit_code}) | {r.peak_rss_mb:,.0f} MB "
            f"| {r.peak_rss_mb - base.peak_rss_mb:+,.0f} MB | {r.peak_tree_mb:,.0f} MB "
            f"| {r.peak_tree_mb - base.peak_tree_mb:+,.0f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briskk-hostile-") as folder:
        results = measure_all(Path(folder))
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(table(results))


if __name__ == "__main__":
    main()
