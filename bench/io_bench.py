"""Cost of storing and loading one upload's asset outputs: ObjectStoreIOManager vs pickle.

Builds `raw_sheet`, `validated_rows` and `product_images` (fetching off: every image
`not_fetched`) for an N-row CSV from `bench/data.py`'s generator, then times, for the outputs
together, store + load through `storage/io_manager.py` on a `LocalObjectStore` (Parquet +
JSON) and through `pickle` to files (what Dagster's default `fs_io_manager` does). Prints one
JSON line per size. Run: `.venv/bin/python bench/io_bench.py 800 100000`.
"""

from __future__ import annotations

import json
import pickle
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briskk_pipeline.images.assets import ProductImages
from briskk_pipeline.images.failures import image_failures
from briskk_pipeline.images.frames import build_frames, count_outcomes, image_slots
from briskk_pipeline.images.model import ImageOutcome, ImageStatus
from briskk_pipeline.ingest.assets import RawUpload
from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline.storage.io_manager import load_output, output_prefix, store_output
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows


def outputs(n: int) -> dict[str, object]:
    sheet = read_upload(
        csv_bytes(template_rows(n, realistic=True)), "BrandA_Briskk_SKU_Template.csv", max_rows=n
    )
    rows = validate_rows(sheet.frame)
    slots = image_slots(rows.products)
    outcomes = {
        u: ImageOutcome(ImageStatus.NOT_FETCHED, reason="off", attempted=False)
        for u in dict.fromkeys(slots["source_url"])
    }
    images, slot_rows = build_frames(slots, outcomes, now=datetime.now(UTC))
    return {
        "raw_sheet": RawUpload("u", "BrandA", "f.csv", sheet),
        "validated_rows": rows,
        "product_images": ProductImages(
            images, slot_rows, count_outcomes(outcomes), image_failures(slots, outcomes, {})
        ),
    }


def best_of(repeats: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(n: int, repeats: int = 3) -> dict[str, object]:
    values = outputs(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalObjectStore(root=f"{tmp}/objects")
        prefixes = {k: output_prefix([k, "u"]) for k in values}
        sizes: dict[str, int] = {}

        def parquet_store() -> None:
            for k, v in values.items():
                sizes[k] = store_output(store, prefixes[k], v)[1]

        def parquet_load() -> None:
            for k in values:
                load_output(store, prefixes[k], k)

        def pickle_store() -> None:
            for k, v in values.items():
                Path(tmp, k).write_bytes(pickle.dumps(v, pickle.HIGHEST_PROTOCOL))

        def pickle_load() -> None:
            for k in values:
                pickle.loads(Path(tmp, k).read_bytes())

        result = {
            "rows": n,
            "parquet_store_s": best_of(repeats, parquet_store),
            "parquet_load_s": best_of(repeats, parquet_load),
            "pickle_store_s": best_of(repeats, pickle_store),
            "pickle_load_s": best_of(repeats, pickle_load),
            "parquet_bytes": sum(sizes.values()),
            "pickle_bytes": sum(Path(tmp, k).stat().st_size for k in values),
        }
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["800", "100000"]:
        print(json.dumps(measure(int(arg))), flush=True)
