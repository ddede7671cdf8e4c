"""What reading number formats costs the read stage, this tree against the tree before it.

Times `read_upload` (the read stage: calamine's parse, the structure scan, the cell rules, the
number formats) in a fresh Python process per run, for this tree and for a baseline tree
(`git archive` of `--baseline`, default the commit before the number-format work), in turn
A B A B ... on the same workbook, at 800 and 100,000 rows. Two workbooks per size:

- `plain`: the realistic benchmark workbook (`bench/data.py`): every number in General, as
  xlsxwriter writes it; the scan finds no number style, so the cost is parsing `styles.xml`.
- `formatted`: the same rows with the number columns formatted the way brands format them —
  barcodes `0000000000000`, HSN codes `00000000`, prices `#,##0.00`, stock `#,##0` — so every
  row has five formatted number cells to find and read (the worst case a brand sends).

    .venv/bin/python bench/formats_bench.py                  # 800 and 100k rows, 5 pairs
    .venv/bin/python bench/formats_bench.py --rows 800 --pairs 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))  # run as a script: bench/ is not a package
sys.path.insert(0, str(REPO))
BASELINE = "328ecae"  # main before the number-format work

_CHILD = r"""
import json, sys, time
from pathlib import Path
path = Path(sys.argv[1])
data = path.read_bytes()
from briskk_pipeline.ingest.reader import read_upload
started, cpu = time.perf_counter(), time.process_time()
sheet = read_upload(data, path.name, max_rows=10**7)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
import briskk_pipeline
print(json.dumps({"read": seconds, "cpu": cpu, "rows": sheet.row_count,
                  "tree": briskk_pipeline.__file__}))
"""

FORMATS = {
    "barcode": "0000000000000",
    "hsn_code": "00000000",
    "price": "#,##0.00",
    "offer_price": "#,##0.00",
    "stock": "#,##0",
}


def formatted_workbook(root: Path, n_rows: int) -> Path:
    """The realistic rows with the number columns formatted (cached like `bench/data.py`)."""
    import xlsxwriter

    from briskk_pipeline.template import COLUMN_NAMES
    from briskk_pipeline_tests.workbooks import REAL_HEADER, _write_cell, template_rows

    path = root / f"formatted-{n_rows}" / "BrandA_Briskk_SKU_Template.xlsx"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".partial-{path.name}")
    book = xlsxwriter.Workbook(str(partial), {"strings_to_numbers": False})
    sheet = book.add_worksheet("BrandA_Briskk_SKU_Template")
    styles = {name: book.add_format({"num_format": code}) for name, code in FORMATS.items()}
    sheet.write_row(0, 0, [REAL_HEADER[c] for c in COLUMN_NAMES])
    for r, row in enumerate(template_rows(n_rows, seed=7, realistic=True), start=1):
        for c, name in enumerate(COLUMN_NAMES):
            value = row[name]
            if name in styles and isinstance(value, int | float):
                sheet.write_number(r, c, value, styles[name])
            else:
                _write_cell(sheet, r, c, value)  # as `bench/data.py` writes every other cell
    book.close()
    partial.replace(path)
    return path


def run_once(tree: Path, workbook: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all threads) of one read in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryDirectory(prefix="formats-bench-") as home:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(workbook)],
            env=env,
            cwd=home,
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["tree"].startswith(str(tree)):
        raise RuntimeError(f"ran {result['tree']}, not the tree at {tree}")
    return float(result["read"]), float(result["cpu"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[800, 100_000])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    args = parser.parse_args()

    from data import ensure_file

    root = BENCH / "out" / "data"
    print(f"{args.pairs} pairs, baseline {args.baseline}; read stage, median seconds\n")
    print(
        "| rows | workbook | wall: this tree | baseline | ratio (pairwise median) "
        "| CPU: this tree | baseline | ratio (pairwise median) |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="formats-baseline-") as folder:
        baseline = Path(folder)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.baseline], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        for n_rows in args.rows:
            started = time.perf_counter()
            books = {
                "plain": ensure_file(root, n_rows, "shared")[0],
                "formatted": formatted_workbook(root, n_rows),
            }
            print(f"<!-- files ready in {time.perf_counter() - started:.0f} s -->", flush=True)
            for kind, workbook in books.items():
                run_once(REPO, workbook)  # warm the page cache
                this, base = [], []
                for _ in range(args.pairs):
                    this.append(run_once(REPO, workbook))
                    base.append(run_once(baseline, workbook))
                cells = [f"{n_rows:,}", kind]
                for measure in (0, 1):  # wall, CPU
                    ours = [t[measure] for t in this]
                    theirs = [t[measure] for t in base]
                    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
                    cells += [
                        f"{statistics.median(ours):.3f}",
                        f"{statistics.median(theirs):.3f}",
                        f"{ratio:.3f}×",
                    ]
                print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
