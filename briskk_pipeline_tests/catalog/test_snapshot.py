"""`catalog_snapshot` against the embedded PostgreSQL and both object stores, and its schedule."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from dagster import (
    DagsterInstance,
    RunRequest,
    build_schedule_context,
    instance_for_test,
    materialize,
)

from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.snapshot import (
    SNAPSHOT_COLUMNS,
    catalog_snapshot,
    catalog_snapshot_job,
    catalog_snapshot_schedule,
)
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.resources import CatalogDatabase, ObjectStore
from briskk_pipeline_tests.catalog.builders import (
    product,
    products_frame,
    register,
    sku,
    skus_frame,
)
from briskk_pipeline_tests.fixtures.s3 import list_objects, object_content_type, read_object

STAMPED = re.compile(r"^snapshots/(?P<tenant>[^/]+)/\d{8}T\d{6}\.parquet$")


def _load(engine: sa.Engine, upload_id: str, tenant: str, products: list, skus: list) -> None:
    register(engine, upload_id, tenant)
    load_upload(
        engine,
        upload_id=upload_id,
        tenant=tenant,
        products=products_frame(products),
        skus=skus_frame(skus),
        outcome=UploadOutcome(status="succeeded"),
    )


def _seed(engine: sa.Engine) -> None:
    _load(
        engine,
        "a1",
        "BrandA",
        [product("P1"), product("P2", category="Footwear")],
        [
            sku("S1", "P1", barcode="0012345678905", price="1299.00", offer_price="999.5"),
            sku("S2", "P1", is_disabled=True),
            sku("S3", "P2", size="42", price="2499", chest_bust_in="38.25", stock=0),
        ],
    )
    # BrandB's only SKU is disabled: its latest snapshot is empty, not stale
    _load(engine, "b1", "BrandB", [product("P1", brand="BrandB")], [sku("S1", "P1")])
    _load(
        engine,
        "b2",
        "BrandB",
        [product("P1", brand="BrandB")],
        [sku("S1", "P1", is_disabled=True)],
    )


def _read(store: ObjectStore, key: str) -> pa.Table:
    return pq.read_table(io.BytesIO(read_object(store, key)))


@pytest.fixture
def instance() -> DagsterInstance:
    with instance_for_test() as instance:
        yield instance


def test_snapshot_writes_each_tenants_active_catalog(
    engine: sa.Engine, database_url: str, object_store: ObjectStore, tmp_path, instance
) -> None:
    _seed(engine)
    result = materialize(
        [catalog_snapshot],
        resources={
            "catalog": CatalogDatabase(url=database_url, home=str(tmp_path)),
            "object_store": object_store,
        },
        instance=instance,
    )
    assert result.success

    keys = list_objects(object_store)
    assert sorted(k for k in keys if k.endswith("latest.parquet")) == [
        "snapshots/BrandA/latest.parquet",
        "snapshots/BrandB/latest.parquet",
    ]
    stamped = [k for k in keys if STAMPED.match(k)]
    assert sorted(STAMPED.match(k)["tenant"] for k in stamped) == ["BrandA", "BrandB"]
    assert len(keys) == 4

    brand_a = _read(object_store, "snapshots/BrandA/latest.parquet")
    assert brand_a.column_names == ["tenant", *(c.name for c in SNAPSHOT_COLUMNS)]
    assert "is_disabled" not in brand_a.column_names
    rows = brand_a.to_pylist()
    assert [(r["tenant"], r["product_id"], r["sku_id"]) for r in rows] == [
        ("BrandA", "P1", "S1"),
        ("BrandA", "P2", "S3"),
    ]
    s1, s3 = rows
    assert s1["barcode"] == "0012345678905"  # identifiers stay text
    assert s1["price"] == Decimal("1299.00") and s1["offer_price"] == Decimal("999.50")
    assert s3["size"] == "42" and s3["stock"] == 0
    assert s3["chest_bust_in"] == Decimal("38.25")
    assert s1["product_name"] == "Tee P1" and s3["category"] == "Footwear"
    assert pa.types.is_decimal(brand_a.schema.field("price").type)
    assert brand_a.schema.field("stock").type == pa.int64()
    a_stamped = next(k for k in stamped if "/BrandA/" in k)
    assert _read(object_store, a_stamped).equals(brand_a)

    brand_b = _read(object_store, "snapshots/BrandB/latest.parquet")
    assert brand_b.num_rows == 0
    assert brand_b.column_names == brand_a.column_names
    if object_content_type(object_store, "snapshots/BrandA/latest.parquet") is not None:
        assert (
            object_content_type(object_store, "snapshots/BrandA/latest.parquet")
            == "application/vnd.apache.parquet"
        )

    [materialization] = result.asset_materializations_for_node("catalog_snapshot")
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == 2
    assert metadata["tenants"].value == 2
    by_tenant = metadata["by_tenant"].value
    assert {t: v["rows"] for t, v in by_tenant.items()} == {"BrandA": 2, "BrandB": 0}
    assert by_tenant["BrandA"]["latest_uri"] == object_store.uri("snapshots/BrandA/latest.parquet")
    assert by_tenant["BrandA"]["uri"] == object_store.uri(a_stamped)


def test_an_empty_catalog_writes_nothing(
    engine: sa.Engine, database_url: str, local_store: ObjectStore, tmp_path, instance
) -> None:
    result = materialize(
        [catalog_snapshot],
        resources={
            "catalog": CatalogDatabase(url=database_url, home=str(tmp_path)),
            "object_store": local_store,
        },
        instance=instance,
    )
    [materialization] = result.asset_materializations_for_node("catalog_snapshot")
    assert materialization.metadata["dagster/row_count"].value == 0
    assert list_objects(local_store) == []


def test_the_schedule_runs_the_snapshot_job_daily_and_is_on_by_default() -> None:
    from dagster import DefaultScheduleStatus

    assert catalog_snapshot_schedule.job_name == catalog_snapshot_job.name
    assert catalog_snapshot_schedule.cron_schedule == "0 2 * * *"
    assert catalog_snapshot_schedule.execution_timezone == "UTC"
    assert catalog_snapshot_schedule.default_status == DefaultScheduleStatus.RUNNING
    with build_schedule_context() as context:
        result = catalog_snapshot_schedule.evaluate_tick(context)
    [request] = result.run_requests
    assert isinstance(request, RunRequest)
