"""What recording the history costs the load (History issue: at most +20 % at 100k rows).

The load step alone (`catalog.load.load_upload`: staging COPY, merge, disabling, image slots,
warnings, upload record, and the history rows), in this process, on the embedded PostgreSQL,
with history recording on and off (`BRISKK_RECORD_HISTORY=0`, a setting for this benchmark
only). The frames are what validation hands to the load: `template_rows(n, realistic=True)`
written as CSV, read by `ingest.reader.read_upload` and validated by `validate_rows`, with
the image slots a run with image fetching off writes.

Two loads per measurement, each into a fresh database:
- **first load**: every product and SKU inserted (every row recorded);
- **price update**: the same file with every SKU's price and offer price changed (every SKU
  row recorded with its before- and after-image), loaded over the first.

Times are the median of `--repeats` (default 3) runs per mode, on and off alternating.

    .venv/bin/python bench/history_bench.py                   # 10 000 and 100 000 rows
    .venv/bin/python bench/history_bench.py --sizes 10000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import measure
import pandas as pd
import sqlalchemy as sa

from briskk_pipeline.catalog import db, uploads
from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.history.record import RECORD_SETTING
from briskk_pipeline.images.model import PRODUCT_IMAGE_COLUMNS
from briskk_pipeline.images.pipeline import image_slots
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.validation.validate import ValidatedRows, validate_rows
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows

OUT = Path(__file__).resolve().parent / "out"
TENANT = "BrandA"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def validated(rows: list[dict[str, Any]]) -> ValidatedRows:
    data = csv_bytes(rows)
    sheet = read_upload(data, "bench.csv", max_rows=len(rows) + 1)
    result = validate_rows(sheet.frame, read_problems=sheet.problems)
    if result.rejected_products:
        raise RuntimeError(f"benchmark rows rejected: {sorted(result.rejected_products)[:5]}")
    return result


def repriced(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every SKU's price and offer price up by a tenth (still offer <= price)."""
    out = []
    for row in rows:
        price = round(float(row["price"]) * 1.1, 2)
        out.append({**row, "price": price, "offer_price": round(price * 0.9, 2)})
    return out


def slots_of(rows: ValidatedRows) -> pd.DataFrame:
    """The image slots as a run with image fetching off writes them (`not fetched`)."""
    slots = image_slots(rows.products)
    slots["status"] = pd.Series("failed", index=slots.index, dtype="string")
    slots["reason"] = pd.Series("not fetched", index=slots.index, dtype="string")
    slots["sha256"] = pd.Series(pd.NA, index=slots.index, dtype="string")
    slots["attempts"] = pd.Series(0, index=slots.index, dtype="Int64")
    slots["last_attempt_at"] = pd.Series(pd.NaT, index=slots.index, dtype="datetime64[us, UTC]")
    return slots.loc[:, list(PRODUCT_IMAGE_COLUMNS)]


def timed_load(engine: sa.Engine, upload_id: str, rows: ValidatedRows) -> float:
    uploads.register_upload(
        engine,
        upload_id=upload_id,
        tenant=TENANT,
        explicit_tenant=TENANT,
        file_name="bench.csv",
        sha256="0" * 64,
        size_bytes=1,
        received_at=datetime.now(UTC),
        source="cli",
        archive_uri="file:///bench",
        archive_key="bench",
    )
    started = time.perf_counter()
    load_upload(
        engine,
        upload_id=upload_id,
        tenant=TENANT,
        products=rows.products,
        skus=rows.skus,
        outcome=uploads.UploadOutcome(status="succeeded"),
        product_images=slots_of(rows),
        keep_enabled=rows.file_sku_ids,
    )
    return time.perf_counter() - started


def measure_size(
    catalogs: measure.Catalogs, n_rows: int, repeats: int
) -> dict[str, dict[str, float]]:
    rows = template_rows(n_rows, realistic=True)
    first, update = validated(rows), validated(repriced(rows))
    samples: dict[str, dict[str, list[float]]] = {
        mode: {"first": [], "update": []} for mode in ("on", "off")
    }
    for repeat in range(repeats):
        for mode in ("off", "on"):
            os.environ[RECORD_SETTING] = "1" if mode == "on" else "0"
            url = catalogs.fresh("briskk_history_bench")
            engine = db.make_engine(url)
            samples[mode]["first"].append(timed_load(engine, "u1", first))
            catalogs.quiesce()
            samples[mode]["update"].append(timed_load(engine, "u2", update))
            with engine.connect() as connection:
                recorded = connection.execute(
                    sa.text("SELECT count(*) FROM catalog_history")
                ).scalar_one()
            log(
                f"{n_rows} rows, history {mode}, run {repeat + 1}/{repeats}: first "
                f"{samples[mode]['first'][-1]:.2f} s, update {samples[mode]['update'][-1]:.2f} s,"
                f" {recorded} history rows"
            )
            catalogs.drop("briskk_history_bench")
    os.environ.pop(RECORD_SETTING, None)
    return {
        mode: {kind: statistics.median(values) for kind, values in kinds.items()}
        for mode, kinds in samples.items()
    }


def table(results: dict[int, dict[str, dict[str, float]]], repeats: int) -> str:
    lines = [
        f"Load step only (`load_upload`), median of {repeats}; history off = "
        "`BRISKK_RECORD_HISTORY=0`.",
        "",
        "| rows | load | history off | history on | overhead |",
        "|---:|---|---:|---:|---:|",
    ]
    for n_rows, modes in results.items():
        for kind, label in (("first", "first load (all inserted)"), ("update", "every price")):
            off, on = modes["off"][kind], modes["on"][kind]
            share = 100 * (on - off) / off
            lines.append(f"| {n_rows:,} | {label} | {off:.2f} s | {on:.2f} s | {share:+.0f} % |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    catalogs = measure.Catalogs(OUT / "pg-history")
    try:
        results = {n: measure_size(catalogs, n, args.repeats) for n in args.sizes}
    finally:
        catalogs.close()
    (OUT / "history.json").write_text(json.dumps(results, indent=2))
    print(table(results, args.repeats))


if __name__ == "__main__":
    main()
