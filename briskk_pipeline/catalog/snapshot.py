"""`catalog_snapshot`: each tenant's active catalog as a Parquet file, taken daily.

One row per active SKU (`is_disabled` false) joined to its product, in the template's column
order (without `is_disabled`), identifiers as text, prices and measurements as exact decimals.
Written to the object store twice per tenant: `snapshots/<tenant>/<UTC yyyymmddTHHMMSS>.parquet`
(kept: the history) and `snapshots/<tenant>/latest.parquet` (what consumers read).
"""

# No `from __future__ import annotations` here: Dagster checks the `context` annotation
# object itself and rejects the string that postponed annotations would give it.

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from dagster import (
    AssetExecutionContext,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from briskk_pipeline.catalog import tables
from briskk_pipeline.resources import CatalogDatabase, ObjectStore
from briskk_pipeline.template import COLUMNS, Column, Kind, Level

PREFIX: Final = "snapshots"
CONTENT_TYPE: Final = "application/vnd.apache.parquet"
# the schema used when a decimal column is empty for a tenant (nothing to infer from)
EMPTY_DECIMAL: Final = pa.decimal128(18, 2)

SNAPSHOT_COLUMNS: Final[tuple[Column, ...]] = tuple(c for c in COLUMNS if c.name != "is_disabled")


@dataclass(frozen=True)
class TenantSnapshot:
    tenant: str
    rows: int
    uri: str
    latest_uri: str


def _arrow_type(column: Column) -> pa.DataType | None:
    """The Arrow type of a column; None for decimals (inferred from the values' scale)."""
    if column.kind in (Kind.DECIMAL, Kind.MEASURE):
        return None
    if column.kind is Kind.INTEGER:
        return pa.int64()
    if column.kind is Kind.BOOLEAN:
        return pa.bool_()
    return pa.string()


def _column(values: list[Any], column: Column) -> pa.Array:
    kind = _arrow_type(column)
    if kind is not None:
        return pa.array(values, type=kind)
    if all(v is None for v in values):
        return pa.array(values, type=EMPTY_DECIMAL)
    return pa.array(values)  # Decimal values: precision and scale that hold them exactly


def tenants(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        query = sa.select(tables.products.c.tenant).distinct().order_by(tables.products.c.tenant)
        return list(connection.execute(query).scalars())


def active_catalog(engine: sa.Engine, tenant: str) -> pa.Table:
    """The tenant's products joined to their non-disabled SKUs, one row per SKU."""
    p, s = tables.products, tables.skus
    selected = [p.c[c.name] if c.level is Level.PRODUCT else s.c[c.name] for c in SNAPSHOT_COLUMNS]
    query = (
        sa.select(p.c.tenant, *selected)
        .select_from(p.join(s, sa.and_(s.c.tenant == p.c.tenant, s.c.product_id == p.c.product_id)))
        .where(p.c.tenant == tenant, s.c.is_disabled.is_(False))
        .order_by(p.c.product_id, s.c.sku_id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(SNAPSHOT_COLUMNS) + 1)
    arrays = [pa.array(list(columns[0]), type=pa.string())]
    arrays += [
        _column(list(values), column)
        for values, column in zip(columns[1:], SNAPSHOT_COLUMNS, strict=True)
    ]
    names = ["tenant", *(c.name for c in SNAPSHOT_COLUMNS)]
    return pa.Table.from_arrays(arrays, names=names)


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def write_snapshots(
    engine: sa.Engine, store: ObjectStore, taken_at: datetime
) -> list[TenantSnapshot]:
    """Write every tenant's active catalog (a tenant with none gets an empty file, so
    `latest.parquet` never shows SKUs that have since been disabled)."""
    stamp = taken_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    written: list[TenantSnapshot] = []
    for tenant in tenants(engine):
        table = active_catalog(engine, tenant)
        data = parquet_bytes(table)
        uri = store.put(f"{PREFIX}/{tenant}/{stamp}.parquet", data, CONTENT_TYPE)
        latest = store.put(f"{PREFIX}/{tenant}/latest.parquet", data, CONTENT_TYPE)
        written.append(TenantSnapshot(tenant, table.num_rows, uri, latest))
    return written


def _markdown(snapshots: list[TenantSnapshot]) -> str:
    if not snapshots:
        return "The catalog is empty: no snapshot written."
    lines = ["| tenant | active SKUs | snapshot |", "|---|---:|---|"]
    lines += [f"| {s.tenant} | {s.rows} | `{s.uri}` |" for s in snapshots]
    return "\n".join(lines)


@asset(group_name="catalog", deps=["products", "skus"])
def catalog_snapshot(
    context: AssetExecutionContext, catalog: CatalogDatabase, object_store: ObjectStore
) -> MaterializeResult:
    """Each tenant's active catalog (products joined to their non-disabled SKUs) as Parquet:
    `snapshots/<tenant>/<UTC yyyymmddTHHMMSS>.parquet` and `snapshots/<tenant>/latest.parquet`
    in the object store."""
    taken_at = datetime.now(UTC)
    snapshots = write_snapshots(catalog.get_engine(), object_store, taken_at)
    context.log.info(f"wrote snapshots of {len(snapshots)} tenants")
    return MaterializeResult(
        metadata={
            "dagster/row_count": sum(s.rows for s in snapshots),
            "taken_at": taken_at.isoformat(timespec="seconds"),
            "tenants": len(snapshots),
            "snapshots": MetadataValue.md(_markdown(snapshots)),
            "by_tenant": MetadataValue.json(
                {
                    s.tenant: {"rows": s.rows, "uri": s.uri, "latest_uri": s.latest_uri}
                    for s in snapshots
                }
            ),
        }
    )


catalog_snapshot_job = define_asset_job(
    "catalog_snapshot_job",
    selection=AssetSelection.assets(catalog_snapshot),
    description="Write every tenant's active catalog as Parquet to the object store.",
)

catalog_snapshot_schedule = ScheduleDefinition(
    name="catalog_snapshot_schedule",
    job=catalog_snapshot_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Daily at 02:00 UTC: a Parquet snapshot of each tenant's active catalog.",
)
