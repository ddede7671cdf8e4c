"""History and rollback of uploads, against a real PostgreSQL (History issue, Tests).

Three uploads of BrandA: u1 creates P1 (S1, S2) and P2 (S3); u2 lowers S1's price, drops S2
(disabled) and changes P1's main image; u3 raises S1's price again and renames P1. BrandB has
products with the same ids, loaded before, and must never change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.queries import list_products
from briskk_pipeline.catalog.uploads import UploadOutcome, get_upload
from briskk_pipeline.history.read import list_history
from briskk_pipeline.history.rollback import RollbackError, rollback_change_set
from briskk_pipeline_tests.catalog.builders import (
    dump,
    product,
    product_images_frame,
    products_frame,
    register,
    rows,
    sku,
    skus_frame,
)

SUCCEEDED = UploadOutcome(status="succeeded")


def _slots(product_id: str, url: str) -> pd.DataFrame:
    return product_images_frame(
        [
            {
                "product_id": product_id,
                "position": 0,
                "source_url": url,
                "status": "failed",
                "reason": "not fetched",
                "sha256": None,
                "attempts": 0,
                "last_attempt_at": None,
            }
        ]
    )


def _load(
    engine: sa.Engine,
    upload_id: str,
    products: list[dict[str, Any]],
    skus: list[dict[str, Any]],
    *,
    tenant: str = "BrandA",
    main_image: str = "https://img.example.com/P1/main.jpg",
) -> None:
    register(engine, upload_id, tenant, file_name=f"{upload_id}.xlsx")
    load_upload(
        engine,
        upload_id=upload_id,
        tenant=tenant,
        products=products_frame(products),
        skus=skus_frame(skus),
        product_images=_slots("P1", main_image),
        outcome=SUCCEEDED,
        mode="replace",  # u2 drops S2: disabled (SPEC §2 "Upsert": only when asked)
    )


def _catalog(engine: sa.Engine, tenant: str = "BrandA") -> list[dict[str, Any]]:
    return list_products(engine, tenant)


@pytest.fixture
def three(engine: sa.Engine) -> dict[str, Any]:
    """The three uploads; returns the BrandA catalog after each and BrandB's rows."""
    _load(engine, "b1", [product("P1")], [sku("S1", "P1")], tenant="BrandB")
    states: dict[str, Any] = {}
    _load(
        engine,
        "u1",
        [product("P1"), product("P2")],
        [sku("S1", "P1"), sku("S2", "P1", size="L"), sku("S3", "P2")],
    )
    states["u1"] = _catalog(engine)
    _load(
        engine,
        "u2",
        [product("P1", main_image="https://img.example.com/P1/new.jpg")],
        [sku("S1", "P1", price="1199.00")],
        main_image="https://img.example.com/P1/new.jpg",
    )
    states["u2"] = _catalog(engine)
    _load(
        engine,
        "u3",
        [product("P1", product_name="Tee P1 v3", main_image="https://img.example.com/P1/new.jpg")],
        [sku("S1", "P1", price="1399.50")],
        main_image="https://img.example.com/P1/new.jpg",
    )
    states["u3"] = _catalog(engine)
    states["brandb"] = dump_tenant(engine, "BrandB")
    return states


def dump_tenant(engine: sa.Engine, tenant: str) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: [r for r in table_rows if tenant in r]
        for name, table_rows in dump(engine).items()
        if name in ("products", "skus", "product_images")
    }


def _changes(engine: sa.Engine, **where: Any) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    return [
        (c["change_set_id"], c["entity"], c["key"], c["action"], c["fields"])
        for c in list_history(engine, tenant="branda", **where)
    ]


def test_history_lists_exactly_what_each_upload_changed(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    history = _changes(engine)
    assert [h[:4] for h in history if h[0] == "u1"] == [
        ("u1", "product", "P1", "inserted"),
        ("u1", "product", "P2", "inserted"),
        ("u1", "sku", "S1", "inserted"),
        ("u1", "sku", "S2", "inserted"),
        ("u1", "sku", "S3", "inserted"),
    ]
    inserted = history[2][4]
    assert inserted["price"] == [None, 1299] and inserted["size"] == [None, "M"]
    assert [h for h in history if h[0] != "u1"] == [
        (
            "u2",
            "product",
            "P1",
            "updated",
            {
                "main_image": [
                    "https://img.example.com/P1/main.jpg",
                    "https://img.example.com/P1/new.jpg",
                ],
                "images": [
                    [[0, "https://img.example.com/P1/main.jpg", "failed"]],
                    [[0, "https://img.example.com/P1/new.jpg", "failed"]],
                ],
            },
        ),
        ("u2", "sku", "S1", "updated", {"price": [1299, 1199]}),
        ("u2", "sku", "S2", "disabled", {"is_disabled": [False, True]}),
        ("u3", "product", "P1", "updated", {"product_name": ["Tee P1", "Tee P1 v3"]}),
        ("u3", "sku", "S1", "updated", {"price": [1199, 1399.5]}),
    ]
    # who changed this price and when: the upload, its file and its time
    s1 = list_history(engine, sku_id="S1", tenant="BrandA")
    assert [(c["change_set_id"], c["file_name"], c["kind"]) for c in s1] == [
        ("u1", "u1.xlsx", "upload"),
        ("u2", "u2.xlsx", "upload"),
        ("u3", "u3.xlsx", "upload"),
    ]
    assert all(c["time"] is not None for c in s1)
    # a product's history includes its SKUs'; BrandB's rows are its own
    assert {c["key"] for c in list_history(engine, product_id="P2")} == {"P2", "S3"}
    every_tenant = {(c["tenant"], c["key"]) for c in list_history(engine, product_id="P1")}
    assert every_tenant == {("BrandA", "P1"), ("BrandA", "S1"), ("BrandA", "S2")} | {
        ("BrandB", "P1"),
        ("BrandB", "S1"),
    }
    assert {c["tenant"] for c in list_history(engine, product_id="P1", tenant="branda")} == {
        "BrandA"
    }


def test_an_unchanged_reload_records_nothing(engine: sa.Engine, three: dict[str, Any]) -> None:
    before = len(list_history(engine))
    _load(
        engine,
        "u4",
        [product("P1", product_name="Tee P1 v3", main_image="https://img.example.com/P1/new.jpg")],
        [sku("S1", "P1", price="1399.50")],
        main_image="https://img.example.com/P1/new.jpg",
    )
    assert len(list_history(engine)) == before
    assert list_history(engine, change_set_id="u4") == []


def test_rolling_back_the_last_upload_restores_the_second_state(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    done = rollback_change_set(engine, "u3", requested_by="tester")
    assert done.status == "rolled_back" and done.conflicts == []
    assert (done.products_changed, done.skus_changed) == (1, 1)
    assert _catalog(engine) == three["u2"]
    assert dump_tenant(engine, "BrandB") == three["brandb"]
    record = get_upload(engine, "u3")
    assert record is not None
    assert record["rolled_back_by"] == "tester"
    assert record["rolled_back_at"] is not None
    # the rollback is a change set of its own, in the history
    assert [(c["entity"], c["key"], c["fields"]) for c in done.changes] == [
        ("product", "P1", {"product_name": ["Tee P1 v3", "Tee P1"]}),
        ("sku", "S1", {"price": [1399.5, 1199]}),
    ]
    assert done.rollback_id is not None
    assert [c["rolls_back"] for c in list_history(engine, change_set_id=done.rollback_id)] == [
        "u3",
        "u3",
    ]
    with pytest.raises(
        RollbackError,
        match=r"already rolled back at .* by tester; to bring its changes back, roll back rollback",
    ):
        rollback_change_set(engine, "u3", requested_by="tester")


def test_rolling_back_a_rollback_restores_the_third_state(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    first = rollback_change_set(engine, "u3", requested_by="tester")
    assert first.rollback_id is not None
    again = rollback_change_set(engine, first.rollback_id, requested_by="tester")
    assert again.status == "rolled_back"
    assert _catalog(engine) == three["u3"]
    record = get_upload(engine, "u3")
    assert record is not None and record["rolled_back_at"] is None  # its changes are back
    # u3 can be rolled back again; the two rollbacks since touched its rows, so only forced
    refused = rollback_change_set(engine, "u3", requested_by="tester")
    assert {c["change_set_id"] for c in refused.conflicts} == {first.rollback_id, again.rollback_id}
    third = rollback_change_set(engine, "u3", requested_by="tester", force=True)
    assert _catalog(engine) == three["u2"]
    assert third.rollback_id is not None and again.rollback_id is not None
    assert rows(engine, tables.rollbacks, rollback_id=first.rollback_id)[0]["rolled_back_at"]


def test_a_later_upload_makes_the_rollback_refuse_unless_forced(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    before = dump(engine)
    refused = rollback_change_set(engine, "u2", requested_by="tester")
    assert refused.status == "refused" and refused.rollback_id is None
    assert [(c["key"], c["field"], c["change_set_id"]) for c in refused.conflicts] == [
        ("P1", "product_name", "u3"),
        ("S1", "price", "u3"),
    ]
    assert dump(engine) == before  # nothing written

    forced = rollback_change_set(engine, "u2", requested_by="tester", force=True)
    assert forced.status == "rolled_back" and forced.forced
    assert _catalog(engine) == _u2_undone(three["u3"])
    assert dump_tenant(engine, "BrandB") == three["brandb"]


def _u2_undone(state: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The third state with u2's rows put back as before u2: its fields as after u1."""
    p1 = dict(state[0])
    p1["main_image"] = "https://img.example.com/P1/main.jpg"
    p1["images"] = [
        {**p1["images"][0], "source_url": "https://img.example.com/P1/main.jpg"},
    ]
    p1["product_name"] = "Tee P1"  # u2 rewrote P1's row: its before-image had the old name
    skus = [dict(s) for s in p1["skus"]]
    skus[0]["price"] = 1299
    skus[1]["is_disabled"] = False
    p1["skus"] = skus
    return [p1, state[1]]


def test_forced_rollback_of_the_second_after_the_third_gives_the_first_state(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    rollback_change_set(engine, "u3", requested_by="tester")
    assert rollback_change_set(engine, "u2", requested_by="t").status == "refused"
    rollback_change_set(engine, "u2", requested_by="tester", force=True)
    assert _catalog(engine) == three["u1"]


def test_rolling_back_a_creation_disables_what_it_inserted(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    rollback_change_set(engine, "u3", requested_by="tester")
    rollback_change_set(engine, "u2", requested_by="tester", force=True)
    done = rollback_change_set(engine, "u1", requested_by="tester", force=True)
    catalog = _catalog(engine)
    assert [p["product_id"] for p in catalog] == ["P1", "P2"]  # nothing deleted
    assert all(s["is_disabled"] for p in catalog for s in p["skus"])
    assert {(c["key"], c["action"]) for c in done.changes} == {
        ("S1", "disabled"),
        ("S2", "disabled"),
        ("S3", "disabled"),
    }
    assert dump_tenant(engine, "BrandB") == three["brandb"]


def test_dry_run_shows_the_rollback_and_changes_nothing(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    before = dump(engine)
    preview = rollback_change_set(engine, "u2", requested_by="tester", dry_run=True)
    assert preview.status == "dry_run" and preview.rollback_id is None
    assert {(c["key"], c["field"]) for c in preview.conflicts} == {
        ("P1", "product_name"),
        ("S1", "price"),
    }
    assert {c["key"]: c["fields"] for c in preview.changes}["S2"] == {"is_disabled": [True, False]}
    assert dump(engine) == before


def test_a_failure_mid_rollback_leaves_the_catalog_as_before(
    engine: sa.Engine, three: dict[str, Any]
) -> None:
    before = dump(engine)

    def fail(connection: sa.Connection) -> None:
        restored = connection.execute(
            sa.select(tables.skus.c.price).where(
                tables.skus.c.tenant == "BrandA", tables.skus.c.sku_id == "S1"
            )
        ).scalar_one()
        assert str(restored) == "1199.00"  # the rows were restored when it failed
        raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected failure"):
        rollback_change_set(engine, "u3", requested_by="tester", after_restore=fail)
    assert dump(engine) == before
    assert rows(engine, tables.rollbacks) == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nope", "no upload or rollback with id 'nope'"),
        ("r1", "r1 changed nothing in the catalog"),
    ],
)
def test_refusals_before_any_write(
    engine: sa.Engine, three: dict[str, Any], target: str, message: str
) -> None:
    register(engine, "r1", "BrandA")
    with engine.begin() as connection:
        connection.execute(
            sa.update(tables.uploads)
            .where(tables.uploads.c.upload_id == "r1")
            .values(status="rejected")
        )
    with pytest.raises(RollbackError, match=message):
        rollback_change_set(engine, target, requested_by="tester")


def test_a_running_upload_cannot_be_rolled_back(engine: sa.Engine) -> None:
    register(engine, "r2", "BrandA")
    with pytest.raises(RollbackError, match="still running"):
        rollback_change_set(engine, "r2", requested_by="tester")


@pytest.mark.parametrize("table", [tables.products, tables.skus])
def test_catalog_columns_are_in_the_order_of_tables_py(engine: sa.Engine, table: sa.Table) -> None:
    """The before tables (catalog/changes.py) follow tables.py; history/record.py casts their
    rows to the catalog tables' row types, which follow the database's column order."""
    with engine.connect() as connection:
        stored = [c["name"] for c in sa.inspect(connection).get_columns(table.name)]
    assert stored == [c.name for c in table.columns]
