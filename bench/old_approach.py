"""The old approach, reimplemented as a reference: how the previous service loaded a template.

`pandas.read_excel` with openpyxl, a `DataFrame.iterrows()` loop, one SQLAlchemy ORM object per
row (declarative classes mapped onto the catalog's own `products` and `skus` tables), one commit.
Like the old service it trusts pandas' types: a barcode typed as text loses its leading zero,
`size` 32 becomes 32 (then "32"), a price becomes a float on its way to NUMERIC, and it neither
validates nor upserts (it writes into an empty catalog). It is here for its speed, not as
something to copy. Run in its own process by `bench/run.py`; prints one JSON object of timings.

    .venv/bin/python bench/old_approach.py FILE.xlsx --database-url postgresql+psycopg2://...
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Session

from briskk_pipeline.catalog import tables
from briskk_pipeline.template import BY_NAME, PRODUCT_COLUMNS, SKU_COLUMNS, Kind

UPLOAD_ID = "old-approach"


class Base(DeclarativeBase):
    pass


class Product(Base):
    __table__ = tables.products


class Sku(Base):
    __table__ = tables.skus


def _value(name: str, value: Any) -> Any:
    """A pandas cell as the old service stored it: NaN -> None, numbers through float."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    kind = BY_NAME[name].kind
    if kind in (Kind.DECIMAL, Kind.MEASURE):
        return Decimal(str(float(value)))
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.BOOLEAN:
        return bool(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read(path: str) -> pd.DataFrame:
    frame = pd.read_excel(path, sheet_name=0, engine="openpyxl")
    frame.columns = [str(c).strip().replace("*", "").strip().lower() for c in frame.columns]
    return frame


def load(frame: pd.DataFrame, session: Session, tenant: str) -> tuple[int, int]:
    now = datetime.now(UTC)
    audit = {
        "first_upload_id": UPLOAD_ID,
        "last_upload_id": UPLOAD_ID,
        "created_at": now,
        "updated_at": now,
    }
    seen: set[str] = set()
    skus = 0
    for _, row in frame.iterrows():
        product_id = _value("product_id", row["product_id"])
        if product_id not in seen:
            seen.add(product_id)
            fields = {c: _value(c, row[c]) for c in PRODUCT_COLUMNS}
            session.add(Product(tenant=tenant, **fields, **audit))
        fields = {c: _value(c, row[c]) for c in SKU_COLUMNS}
        session.add(Sku(tenant=tenant, product_id=product_id, **fields, **audit))
        skus += 1
    return len(seen), skus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tenant", default="BrandA")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    frame = read(args.path)
    read_done = time.perf_counter()
    engine = sa.create_engine(args.database_url)
    with Session(engine) as session:
        products, skus = load(frame, session, args.tenant)
        objects_done = time.perf_counter()
        session.commit()
    committed = time.perf_counter()
    engine.dispose()
    json.dump(
        {
            "rows": len(frame),
            "products": products,
            "skus": skus,
            "read": read_done - started,
            "transform": objects_done - read_done,  # iterrows + one ORM object per row
            "load": committed - objects_done,  # flush (INSERTs) + commit
            "work": committed - started,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
