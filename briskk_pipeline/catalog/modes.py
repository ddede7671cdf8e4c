"""What an upload may change: its mode (SPEC §2 "Upsert", issue 19).

- `merge` (the default): nothing changes by omission. A catalog SKU the file does not list is
  kept as it is (named in the summary); a column the file lacks keeps its stored values.
- `replace` (`briskk ingest --replace`, `POST /ingest?mode=replace`, the inbox's
  `<tenant>/replace/` folder): the file is authoritative for each product it contains; that
  product's SKUs it leaves out are disabled, and every one is listed in the summary.
- `update`: not asked for but read from the file: a header with `sku_id` and SKU columns and
  no product columns is a price-and-stock update (`validation/update_file.py`).

The mode chosen at upload is stored on the upload record (`uploads.mode`) before its run.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from briskk_pipeline.catalog.tables import uploads

CHOSEN_MODES: Final[tuple[str, ...]] = ("merge", "replace")


def set_mode(engine: sa.Engine, upload_id: str, mode: str) -> None:
    """Record the mode a registered upload was sent in. Raises `ValueError` for another mode,
    `LookupError` when no upload has that id."""
    if mode not in CHOSEN_MODES:
        raise ValueError(f"an upload's mode is one of {CHOSEN_MODES}, not {mode!r}")
    with engine.begin() as connection:
        done = connection.execute(
            sa.update(uploads).where(uploads.c.upload_id == upload_id).values(mode=mode)
        ).rowcount
    if done != 1:
        raise LookupError(f"no upload with id {upload_id!r}")
