"""The set-based load of one upload, against a real PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.catalog.load import LoadCounts, load_upload
from briskk_pipeline.catalog.newer import NewerDataRefused
from briskk_pipeline.catalog.uploads import UploadError, UploadOutcome
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline_tests.catalog.builders import (
    dump,
    images_frame,
    product,
    product_images_frame,
    products_frame,
    register,
    rows,
    sku,
    skus_frame,
)

SUCCEEDED = UploadOutcome(status="succeeded")


def _two_products() -> tuple[pd.DataFrame, pd.DataFrame]:
    products = products_frame([product("P1"), product("P2", category="Footwear")])
    skus = skus_frame(
        [
            sku("S1", "P1", size="S"),
            sku("S2", "P1", size="M", price="1399.50"),
            sku("S3", "P2", size="42", stock=0),
        ]
    )
    return products, skus


def _load(
    engine: sa.Engine,
    upload_id: str,
    products: pd.DataFrame,
    skus: pd.DataFrame,
    tenant: str = "BrandA",
    **kwargs: object,
) -> LoadCounts:
    register(engine, upload_id, tenant)
    return load_upload(
        engine,
        upload_id=upload_id,
        tenant=tenant,
        products=products,
        skus=skus,
        outcome=kwargs.pop("outcome", SUCCEEDED),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_first_load_inserts_and_an_identical_reload_changes_nothing(engine: sa.Engine) -> None:
    products, skus = _two_products()
    first = _load(engine, "u1", products, skus)
    assert first == LoadCounts(
        products_loaded=2, skus_loaded=3, products_inserted=2, skus_inserted=3
    )
    before = dump(engine)
    s1 = rows(engine, tables.skus, sku_id="S1")[0]
    assert (s1["first_upload_id"], s1["last_upload_id"]) == ("u1", "u1")
    assert s1["created_at"] == s1["updated_at"]

    time.sleep(0.01)  # a rewrite would show as a later updated_at
    second = _load(engine, "u2", products, skus)
    assert second == LoadCounts(
        products_loaded=2, skus_loaded=3, products_unchanged=2, skus_unchanged=3
    )
    after = dump(engine)
    assert after["products"] == before["products"]
    assert after["skus"] == before["skus"]  # updated_at and last_upload_id included
    record = uploads.get_upload(engine, "u2")
    assert record is not None
    assert (record["status"], record["products_loaded"], record["skus_loaded"]) == (
        "succeeded",
        2,
        3,
    )


def test_replace_changes_price_disables_dropped_sku_and_deletes_nothing(
    engine: sa.Engine,
) -> None:
    products, skus = _two_products()
    _load(engine, "u1", products, skus)
    before = {r["sku_id"]: r for r in rows(engine, tables.skus)}
    p2_before = rows(engine, tables.products, product_id="P2")

    time.sleep(0.01)
    counts = _load(
        engine,
        "u2",
        products_frame([product("P1")]),
        skus_frame([sku("S1", "P1", size="S", price="999.00")]),  # S2 dropped
        mode="replace",
    )
    assert counts == LoadCounts(
        products_loaded=1,
        skus_loaded=1,
        products_unchanged=1,
        skus_updated=1,
        skus_disabled=1,
        warnings=(  # 1 of 3 active SKUs disabled: more than a fifth (catalog/changes.py)
            "this upload disables 1 of the tenant's 3 active SKUs (33%, more than a fifth): "
            "SKUs its products no longer list, or marked is_disabled; check that the file "
            "lists every SKU of each product",
            "product P1: SKU S2 disabled (replace: not in this file)",
        ),
    )
    assert counts.summary is not None
    assert counts.summary["disabled_absent"] == [{"product_id": "P1", "sku_id": "S2"}]
    assert counts.summary["skus"]["disabled"] == 1
    after = {r["sku_id"]: r for r in rows(engine, tables.skus)}
    assert set(after) == {"S1", "S2", "S3"}  # nothing deleted
    assert after["S1"]["price"] == Decimal("999.00")
    assert after["S1"]["last_upload_id"] == "u2"
    assert after["S1"]["first_upload_id"] == "u1"
    assert after["S1"]["created_at"] == before["S1"]["created_at"]
    assert after["S1"]["updated_at"] > before["S1"]["updated_at"]
    assert after["S2"]["is_disabled"] is True
    assert after["S2"]["last_upload_id"] == "u2"
    assert {
        k: v
        for k, v in after["S2"].items()
        if k not in ("is_disabled", "last_upload_id", "updated_at")
    } == {
        k: v
        for k, v in before["S2"].items()
        if k not in ("is_disabled", "last_upload_id", "updated_at")
    }
    assert after["S3"] == before["S3"]  # another product's SKU: untouched
    assert rows(engine, tables.products, product_id="P2") == p2_before
    assert len(rows(engine, tables.products)) == 2

    again = _load(
        engine,
        "u3",
        products_frame([product("P1")]),
        skus_frame([sku("S1", "P1", size="S", price="999.00")]),
        mode="replace",
    )
    assert again.skus_disabled == 0  # already disabled: not rewritten
    assert rows(engine, tables.skus, sku_id="S2")[0]["last_upload_id"] == "u2"

    back = _load(
        engine,
        "u4",
        products_frame([product("P1")]),
        skus_frame([sku("S1", "P1", size="S", price="999.00"), sku("S2", "P1", price="1399.50")]),
        mode="replace",
    )
    assert (back.skus_updated, back.skus_unchanged, back.skus_disabled) == (1, 1, 0)
    assert rows(engine, tables.skus, sku_id="S2")[0]["is_disabled"] is False


def test_merge_keeps_unlisted_skus_and_absent_columns_and_announces_a_clear(
    engine: sa.Engine,
) -> None:
    """SPEC §2 "Upsert": nothing changes by omission; a blank in a present column clears."""
    first = skus_frame(
        [
            sku("S1", "P1", size="S", barcode="8901234567890", waist_in="30.5"),
            sku("S2", "P1", size="M"),
        ]
    )
    _load(engine, "u1", products_frame([product("P1")]), first)
    stored = rows(engine, tables.skus, sku_id="S1")[0]
    # the file has no barcode column; its waist_in cell of S1 is blank; S2 is not listed
    update = skus_frame([sku("S1", "P1", size="S", price="999.00", barcode=None, waist_in=None)])
    columns = [c for c in COLUMN_NAMES if c != "barcode"]
    counts = _load(engine, "u2", products_frame([product("P1")]), update, columns=columns)
    after = {r["sku_id"]: r for r in rows(engine, tables.skus)}
    assert after["S2"]["is_disabled"] is False  # not listed: kept as it is
    assert after["S1"]["barcode"] == stored["barcode"]  # column absent: kept
    assert after["S1"]["waist_in"] is None  # present and blank: cleared
    assert counts.skus_disabled == 0
    assert (
        "product P1: catalog SKU S2 not in this file, kept as they are; to take one off sale "
        "send it with is_disabled TRUE"
    ) in counts.warnings
    summary = counts.summary
    assert summary is not None
    assert summary["mode"] == "merge"
    assert summary["skus"] == {"inserted": 0, "updated": 1, "unchanged": 0, "disabled": 0}
    assert summary["values_cleared"] == 1
    assert summary["cleared"] == [
        {
            "row": None,
            "product_id": "P1",
            "sku_id": "S1",
            "column": "waist_in",
            "old": 30.5,
            "new": None,
        }
    ]
    assert [(e["column"], e["new"]) for e in summary["updated"]] == [("price", 999)]
    assert summary["not_listed"] == {
        "skus": 1,
        "products": [{"product_id": "P1", "sku_ids": ["S2"]}],
    }


def test_two_tenants_with_the_same_ids_stay_apart(engine: sa.Engine) -> None:
    _load(
        engine,
        "a1",
        products_frame([product("P1", brand="A")]),
        skus_frame([sku("S1", "P1", price="100"), sku("S2", "P1")]),
        tenant="BrandA",
    )
    counts = _load(
        engine,
        "b1",
        products_frame([product("P1", brand="B")]),
        skus_frame([sku("S1", "P1", price="200")]),
        tenant="BrandB",
    )
    # BrandB's S1 is new for BrandB, and BrandA's S2 is not "absent from BrandB's upload"
    assert (counts.products_inserted, counts.skus_inserted, counts.skus_disabled) == (1, 1, 0)
    found = {(r["tenant"], r["sku_id"]): r for r in rows(engine, tables.skus)}
    assert set(found) == {("BrandA", "S1"), ("BrandA", "S2"), ("BrandB", "S1")}
    assert found[("BrandA", "S1")]["price"] == Decimal("100")
    assert found[("BrandB", "S1")]["price"] == Decimal("200")
    assert found[("BrandA", "S2")]["is_disabled"] is False
    brands = {(r["tenant"], r["product_id"]): r["brand"] for r in rows(engine, tables.products)}
    assert brands == {("BrandA", "P1"): "A", ("BrandB", "P1"): "B"}


def test_exact_decimals_and_identifiers_round_trip(engine: sa.Engine) -> None:
    skus = skus_frame(
        [
            sku(
                "0042",
                "007",
                price="1299.99",
                offer_price="0.10",
                barcode="012345678905",
                size="32",
                chest_bust_in="38.125",
                waist_in="0",
                inseam_length_in="123456789012.345678901",
                facility_id="000017",
            ),
            sku("0043", "007", price="1299.00"),
        ]
    )
    _load(engine, "u1", products_frame([product("007", hsn_code="0401", tax_rule_id="00")]), skus)
    stored = {r["sku_id"]: r for r in rows(engine, tables.skus)}
    first = stored["0042"]
    assert first["price"] == Decimal("1299.99") and str(first["price"]) == "1299.99"
    assert str(first["offer_price"]) == "0.10"
    assert str(first["chest_bust_in"]) == "38.125"
    assert str(first["waist_in"]) == "0"
    assert str(first["inseam_length_in"]) == "123456789012.345678901"
    assert str(stored["0043"]["price"]) == "1299.00"  # the scale sent is kept
    assert (first["barcode"], first["size"], first["facility_id"]) == (
        "012345678905",
        "32",
        "000017",
    )
    assert first["product_id"] == "007"
    p = rows(engine, tables.products)[0]
    assert (p["product_id"], p["hsn_code"], p["tax_rule_id"]) == ("007", "0401", "00")


def test_null_and_empty_string_stay_distinct(engine: sa.Engine) -> None:
    tricky = 'Kurta, "Indigo"\nline 2 — ₹ 1,299; \\N'
    products = products_frame(
        [product("P1", sub_category=None, fit="", material=tricky, bullet_points=pd.NA)]
    )
    skus = skus_frame([sku("S1", "P1", barcode=None, color="", offer_price=None)])
    _load(engine, "u1", products, skus)
    p = rows(engine, tables.products)[0]
    assert p["sub_category"] is None
    assert p["bullet_points"] is None
    assert p["fit"] == ""
    assert p["material"] == tricky
    s = rows(engine, tables.skus)[0]
    assert s["barcode"] is None
    assert s["offer_price"] is None
    assert s["color"] == ""
    assert s["chest_bust_in"] is None


def _images() -> tuple[pd.DataFrame, pd.DataFrame]:
    images = images_frame(
        [
            {
                "sha256": "a" * 64,
                "uri": "file:///objects/images/aaa.jpg",
                "object_key": "images/aaa.jpg",
                "content_type": "image/jpeg",
                "format": "JPEG",
                "width": 800,
                "height": 1200,
                "bytes": 53211,
            },
        ]
    )
    attempted = datetime(2025, 3, 1, 10, 0, 5, 123456, tzinfo=UTC)
    slots = product_images_frame(
        [
            {
                "product_id": "P1",
                "position": 0,
                "source_url": "https://img.example.com/a.jpg",
                "status": "stored",
                "reason": None,
                "sha256": "a" * 64,
                "attempts": 1,
                "last_attempt_at": attempted,
            },
            {
                "product_id": "P1",
                "position": 1,
                "source_url": "https://img.example.com/b.jpg",
                "status": "failed",
                "reason": "HTTP 404",
                "sha256": None,
                "attempts": 1,
                "last_attempt_at": attempted,
            },
            {
                "product_id": "P1",
                "position": 2,
                "source_url": "http://169.254.169.254/x.jpg",
                "status": "blocked",
                "reason": "link-local address",
                "sha256": None,
                "attempts": 0,
                "last_attempt_at": None,
            },
            # the same bytes under another URL: one images row
            {
                "product_id": "P2",
                "position": 0,
                "source_url": "https://cdn.example.com/a.jpg",
                "status": "stored",
                "reason": None,
                "sha256": "a" * 64,
                "attempts": 1,
                "last_attempt_at": attempted,
            },
        ]
    )
    return images, slots


def test_image_slots_are_written_and_follow_the_sheet(engine: sa.Engine) -> None:
    products, skus = _two_products()
    images, slots = _images()
    _load(engine, "u1", products, skus, images=pd.concat([images, images]), product_images=slots)
    stored = rows(engine, tables.images)
    assert len(stored) == 1
    assert (stored[0]["uri"], stored[0]["width"], stored[0]["bytes"]) == (
        "file:///objects/images/aaa.jpg",
        800,
        53211,
    )
    written = {(r["product_id"], r["position"]): r for r in rows(engine, tables.product_images)}
    assert set(written) == {("P1", 0), ("P1", 1), ("P1", 2), ("P2", 0)}
    assert written[("P1", 1)]["reason"] == "HTTP 404"
    assert written[("P1", 0)]["last_attempt_at"] == datetime(
        2025, 3, 1, 10, 0, 5, 123456, tzinfo=UTC
    )
    assert written[("P1", 2)]["last_attempt_at"] is None
    assert all(r["tenant"] == "BrandA" and r["gave_up"] is False for r in written.values())

    # P1 now lists only its main image: slots 1 and 2 go; P2 (not in this upload) keeps its slot
    _load(
        engine,
        "u2",
        products_frame([product("P1")]),
        skus_frame([sku("S1", "P1")]),
        images=images,
        product_images=slots.iloc[[0]],
    )
    remaining = {(r["product_id"], r["position"]) for r in rows(engine, tables.product_images)}
    assert remaining == {("P1", 0), ("P2", 0)}
    assert len(rows(engine, tables.images)) == 1  # images are never deleted


def test_image_slot_updates_keep_attempt_time_and_reset_gave_up(engine: sa.Engine) -> None:
    products, skus = _two_products()
    images, slots = _images()
    _load(engine, "u1", products, skus, images=images, product_images=slots)
    attempted = rows(engine, tables.product_images, product_id="P1", position=0)[0][
        "last_attempt_at"
    ]
    with engine.begin() as connection:
        connection.execute(sa.update(tables.product_images).values(gave_up=True))

    reused = slots.copy()
    reused["last_attempt_at"] = pd.NaT  # reused images: nothing fetched this run
    now_stored = reused["position"] == 1
    reused.loc[now_stored, ["status", "reason", "sha256"]] = ["stored", pd.NA, "a" * 64]
    moved = (reused["product_id"] == "P1") & (reused["position"] == 2)
    reused.loc[moved, "source_url"] = "https://img.example.com/new.jpg"
    _load(engine, "u2", products, skus, product_images=reused)
    after = {(r["product_id"], r["position"]): r for r in rows(engine, tables.product_images)}
    assert after[("P1", 0)]["last_attempt_at"] == attempted
    assert (after[("P1", 1)]["status"], after[("P1", 1)]["reason"]) == ("stored", None)
    assert after[("P1", 1)]["gave_up"] is False  # it works now
    assert after[("P1", 2)]["source_url"] == "https://img.example.com/new.jpg"
    assert after[("P1", 2)]["gave_up"] is False  # a new URL deserves new tries
    assert after[("P2", 0)]["gave_up"] is True  # unchanged slot: not rewritten


def test_failure_before_upsert_leaves_every_table_as_it_was(engine: sa.Engine) -> None:
    products, skus = _two_products()
    images, slots = _images()
    _load(
        engine,
        "u1",
        products,
        skus,
        images=images,
        product_images=slots,
        outcome=UploadOutcome(status="succeeded", errors=[UploadError(5, "price", "-1", "bad")]),
    )
    register(engine, "u2")
    before = dump(engine)
    staged_counts: list[int] = []

    def explode(connection: sa.Connection) -> None:
        staged_counts.append(
            connection.execute(sa.text("SELECT count(*) FROM briskk_stage_skus")).scalar_one()
        )
        raise RuntimeError("injected failure")

    changed = skus_frame([sku("S1", "P1", price="1.00"), sku("S9", "P1")])
    new_image = images_frame(
        [
            {
                "sha256": "b" * 64,
                "uri": "file:///b",
                "object_key": "images/b.png",
                "content_type": "image/png",
                "format": "PNG",
                "width": 1,
                "height": 1,
                "bytes": 70,
            }
        ]
    )
    with pytest.raises(RuntimeError, match="injected failure"):
        load_upload(
            engine,
            upload_id="u2",
            tenant="BrandA",
            products=products_frame([product("P1", product_name="Renamed"), product("P3")]),
            skus=changed,
            outcome=UploadOutcome(
                status="succeeded",
                products_rejected=1,
                errors=[{"row": 3, "column": "stock", "value": "x", "message": "not a number"}],
            ),
            images=new_image,
            product_images=slots.iloc[[0]],
            before_upsert=explode,
        )
    assert staged_counts == [2]  # the frames had been staged when the failure hit
    assert dump(engine) == before
    assert uploads.get_upload(engine, "u2")["status"] == "running"  # type: ignore[index]


def test_upload_errors_are_replaced_on_reload(engine: sa.Engine) -> None:
    products, skus = _two_products()
    errors = [
        UploadError(row=7, column="price", value="-5", message="price must be greater than 0"),
        {"row": 9, "column": "barcode", "value": "12ab", "message": "barcode must be digits"},
        UploadError(row=None, column=None, value=None, message="unknown column 'colour'"),
    ]
    failure = {
        "row": 4,
        "column": "image_2",
        "url": "https://x.test/a.jpg",
        "status": "failed",
        "reason": "HTTP 404 Not Found",
    }
    outcome = UploadOutcome(
        status="succeeded",
        products_rejected=2,
        rows_rejected=3,
        errors=errors,
        warnings=["ignored unknown column 'colour'"],
        images={"stored": 2, "reused": 1, "failed": 1, "blocked": 0, "not_fetched": 0},
        image_failures=[failure],
        seconds=1.25,
    )
    _load(engine, "u1", products, skus, outcome=outcome)
    first = uploads.get_upload(engine, "u1")
    assert first is not None
    assert [e["row"] for e in first["errors"]] == [7, 9, None]
    assert first["errors"][1] == {
        "row": 9,
        "column": "barcode",
        "value": "12ab",
        "message": "barcode must be digits",
    }
    assert (first["products_rejected"], first["rows_rejected"]) == (2, 3)
    assert first["images"] == {
        "stored": 2,
        "reused": 1,
        "failed": 1,
        "blocked": 0,
        "not_fetched": 0,
    }
    assert first["seconds"] == 1.25
    assert first["image_failures"] == [failure]

    rerun = UploadOutcome(status="succeeded", errors=[errors[0]], seconds=0.5)
    load_upload(
        engine, upload_id="u1", tenant="BrandA", products=products, skus=skus, outcome=rerun
    )
    second = uploads.get_upload(engine, "u1")
    assert second is not None
    assert second["errors"] == [
        {"row": 7, "column": "price", "value": "-5", "message": "price must be greater than 0"}
    ]
    assert (second["products_rejected"], second["warnings"], second["seconds"]) == (0, [], 0.5)
    assert second["images"] == {
        "stored": 0,
        "reused": 0,
        "failed": 0,
        "blocked": 0,
        "not_fetched": 0,
    }
    assert second["image_failures"] == []
    assert len(rows(engine, tables.upload_errors)) == 1


def test_rejected_upload_with_empty_frames_only_writes_its_record(engine: sa.Engine) -> None:
    products, skus = _two_products()
    _load(engine, "u1", products, skus)
    register(engine, "u2")
    before = dump(engine)
    finished = datetime(2025, 3, 1, 10, 0, 9, tzinfo=UTC)
    counts = load_upload(
        engine,
        upload_id="u2",
        tenant="BrandA",
        products=pd.DataFrame(),
        skus=skus.iloc[0:0],
        outcome=UploadOutcome(
            status="rejected",
            errors=[
                {
                    "row": None,
                    "column": "price",
                    "value": None,
                    "message": "missing required column 'price'",
                }
            ],
            finished_at=finished,
        ),
    )
    assert counts == LoadCounts()
    after = dump(engine)
    for name in ("products", "skus", "images", "product_images"):
        assert after[name] == before[name], name
    record = uploads.get_upload(engine, "u2")
    assert record is not None
    assert (record["status"], record["products_loaded"], record["skus_loaded"]) == (
        "rejected",
        0,
        0,
    )
    assert record["finished_at"] == "2025-03-01T10:00:09+00:00"
    assert record["errors"] == [
        {
            "row": None,
            "column": "price",
            "value": None,
            "message": "missing required column 'price'",
        }
    ]


def test_load_of_an_unregistered_upload_fails_and_writes_nothing(engine: sa.Engine) -> None:
    products, skus = _two_products()
    before = dump(engine)
    with pytest.raises(LookupError, match="register it before loading"):
        load_upload(
            engine,
            upload_id="nope",
            tenant="BrandA",
            products=products,
            skus=skus,
            outcome=SUCCEEDED,
        )
    assert dump(engine) == before


def test_inexact_or_duplicated_input_is_refused(engine: sa.Engine) -> None:
    register(engine, "u1")
    products, skus = _two_products()
    floats = skus.assign(price=skus["price"].astype("float64"))
    with pytest.raises(TypeError, match=r"skus\.price is float64"):
        load_upload(
            engine,
            upload_id="u1",
            tenant="BrandA",
            products=products,
            skus=floats,
            outcome=SUCCEEDED,
        )
    with pytest.raises(ValueError, match="duplicate sku_id"):
        load_upload(
            engine,
            upload_id="u1",
            tenant="BrandA",
            products=products,
            skus=pd.concat([skus, skus.iloc[[0]]]),
            outcome=SUCCEEDED,
        )
    with pytest.raises(ValueError, match=r"lacks columns \['stock'\]"):
        load_upload(
            engine,
            upload_id="u1",
            tenant="BrandA",
            products=products,
            skus=skus.drop(columns="stock"),
            outcome=SUCCEEDED,
        )
    assert rows(engine, tables.products) == []


def test_uploads_of_one_tenant_never_interleave(engine: sa.Engine) -> None:
    """While one load of BrandA is inside its transaction, a second BrandA load waits for
    it; a BrandB load does not."""
    products, skus = _two_products()
    for upload_id, tenant in (("a1", "BrandA"), ("a2", "BrandA"), ("b1", "BrandB")):
        register(engine, upload_id, tenant)
    inside = threading.Event()
    release = threading.Event()
    events: list[str] = []
    failures: list[BaseException] = []

    def hold(connection: sa.Connection) -> None:
        events.append("a1 staged")
        inside.set()
        assert release.wait(30)

    def note(name: str):
        def hook(connection: sa.Connection) -> None:
            events.append(f"{name} staged")

        return hook

    def run(upload_id: str, tenant: str, hook) -> None:
        try:
            load_upload(
                engine,
                upload_id=upload_id,
                tenant=tenant,
                products=products,
                skus=skus,
                outcome=SUCCEEDED,
                before_upsert=hook,
            )
            events.append(f"{upload_id} done")
        except BaseException as error:
            failures.append(error)

    first = threading.Thread(target=run, args=("a1", "BrandA", hold))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=run, args=("a2", "BrandA", note("a2")))
    other = threading.Thread(target=run, args=("b1", "BrandB", note("b1")))
    second.start()
    other.start()
    other.join(30)
    time.sleep(0.3)
    assert events == ["a1 staged", "b1 staged", "b1 done"]  # a2 is waiting for the lock
    release.set()
    first.join(30)
    second.join(30)
    assert failures == []
    assert events[3:] == ["a1 done", "a2 staged", "a2 done"]
    statuses = {u["upload_id"]: u["status"] for u in uploads.list_uploads(engine)}
    assert statuses == {"a1": "succeeded", "a2": "succeeded", "b1": "succeeded"}


def test_a_sku_moved_by_a_concurrent_upload_rejects_the_later_product(engine: sa.Engine) -> None:
    """Two uploads validated at the same time give S9 to P1 and to P2. The first to take the
    tenant's lock loads; the second, checked again inside the lock, rejects P2 whole (as it
    would have sequentially) and still loads its other product."""
    first_products = products_frame([product("P1")])
    first_skus = skus_frame([sku("S1", "P1"), sku("S9", "P1")])
    second_products = products_frame([product("P2"), product("P3")])
    second_skus = skus_frame([sku("S9", "P2"), sku("S2", "P2"), sku("S3", "P3")])
    register(engine, "a1", "BrandA")
    register(engine, "a2", "BrandA")
    inside, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold(connection: sa.Connection) -> None:
        inside.set()
        assert release.wait(30)

    def run(upload_id: str, products: pd.DataFrame, skus: pd.DataFrame, hook) -> None:
        try:
            load_upload(
                engine,
                upload_id=upload_id,
                tenant="BrandA",
                products=products,
                skus=skus,
                outcome=SUCCEEDED,
                before_upsert=hook,
                product_rows={"P2": 5, "P3": 8},
            )
        except BaseException as error:
            failures.append(error)

    first = threading.Thread(target=run, args=("a1", first_products, first_skus, hold))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=run, args=("a2", second_products, second_skus, None))
    second.start()
    time.sleep(0.3)  # a2 waits for the lock a1 holds
    release.set()
    first.join(30)
    second.join(30)
    assert failures == []
    owners = {r["sku_id"]: r["product_id"] for r in rows(engine, tables.skus)}
    assert owners == {"S1": "P1", "S9": "P1", "S3": "P3"}
    assert sorted(r["product_id"] for r in rows(engine, tables.products)) == ["P1", "P3"]
    record = uploads.get_upload(engine, "a2")
    assert record is not None
    assert (record["status"], record["products_rejected"], record["rows_rejected"]) == (
        "succeeded",
        1,
        2,
    )
    assert [(e["row"], e["column"], e["value"]) for e in record["errors"]] == [(5, "sku_id", "S9")]
    assert "already belongs to product 'P1'" in record["errors"][0]["message"]


def test_loading_an_older_upload_again_is_refused_unless_forced(engine: sa.Engine) -> None:
    """What a UI re-materialization or `dagster job execute` of an old partition runs."""
    products, skus = _two_products()
    _load(engine, "u1", products, skus)
    time.sleep(0.01)
    _load(engine, "u2", products_frame([product("P2")]), skus_frame([sku("S3", "P2", price="5")]))
    with pytest.raises(NewerDataRefused) as refused:
        load_upload(
            engine, upload_id="u1", tenant="BrandA", products=products, skus=skus,
            outcome=SUCCEEDED,
        )  # fmt: skip
    assert [(f.entity, f.key, f.upload_id) for f in refused.value.found] == [
        ("product", "P2", "u2"),
        ("sku", "S3", "u2"),
    ]
    assert str(refused.value).startswith("refused: later uploads (u2) changed products P2; SKUs S3")
    assert rows(engine, tables.skus, sku_id="S3")[0]["price"] == Decimal("5")  # untouched
    forced = load_upload(
        engine, upload_id="u1", tenant="BrandA", products=products, skus=skus,
        outcome=SUCCEEDED, force=True,
    )  # fmt: skip
    assert forced.skus_updated == 1
    assert rows(engine, tables.skus, sku_id="S3")[0]["price"] == Decimal("1299.00")
