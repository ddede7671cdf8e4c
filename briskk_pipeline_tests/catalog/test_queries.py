"""`briskk products --json` and SKU ownership, read from a real catalog."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.queries import json_number, list_products, sku_owners
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.template import PRODUCT_COLUMNS, SKU_COLUMNS
from briskk_pipeline_tests.catalog.builders import (
    images_frame,
    product,
    product_images_frame,
    products_frame,
    register,
    sku,
    skus_frame,
)


@pytest.mark.parametrize(
    ("value", "expected", "kind"),
    [
        (Decimal("1299.00"), 1299, int),
        (Decimal("1299.99"), 1299.99, float),
        (Decimal("0.10"), 0.1, float),
        (Decimal("0"), 0, int),
        (Decimal("38.125"), 38.125, float),
        (None, None, type(None)),
    ],
)
def test_json_number(value: Decimal | None, expected: object, kind: type) -> None:
    converted = json_number(value)
    assert converted == expected
    assert type(converted) is kind


def _load(engine: sa.Engine, upload_id: str, tenant: str, **frames: object) -> None:
    register(engine, upload_id, tenant)
    load_upload(
        engine,
        upload_id=upload_id,
        tenant=tenant,
        outcome=UploadOutcome(status="succeeded"),
        **frames,
    )  # type: ignore[arg-type]


@pytest.fixture
def catalog(engine: sa.Engine) -> sa.Engine:
    _load(
        engine,
        "a1",
        "BrandA",
        products=products_frame(
            [
                product("P2", image_1="https://img.example.com/P2/1.jpg"),
                product("P1", sub_category="Tees", fit=""),
            ]
        ),
        skus=skus_frame(
            [
                sku(
                    "S2",
                    "P1",
                    price="1299.99",
                    offer_price="999.00",
                    chest_bust_in="38.5",
                    barcode="012345678905",
                    size="32",
                    stock=7,
                ),
                sku("S1", "P1", price="1299.00", is_disabled=True, stock=0),
                sku("S3", "P2", price="0.10"),
            ]
        ),
        images=images_frame(
            [
                {
                    "sha256": "c" * 64,
                    "uri": "file:///o/images/ccc.jpg",
                    "object_key": "images/ccc.jpg",
                    "content_type": "image/jpeg",
                    "format": "JPEG",
                    "width": 640,
                    "height": 960,
                    "bytes": 1000,
                }
            ]
        ),
        product_images=product_images_frame(
            [
                {
                    "product_id": "P2",
                    "position": 1,
                    "source_url": "https://img.example.com/P2/1.jpg",
                    "status": "failed",
                    "reason": "not an image",
                    "sha256": None,
                    "attempts": 2,
                    "last_attempt_at": None,
                },
                {
                    "product_id": "P2",
                    "position": 0,
                    "source_url": "https://img.example.com/P2/main.jpg",
                    "status": "stored",
                    "reason": None,
                    "sha256": "c" * 64,
                    "attempts": 1,
                    "last_attempt_at": None,
                },
            ]
        ),
    )
    _load(
        engine,
        "b1",
        "BrandB",
        products=products_frame([product("P1", brand="BrandB")]),
        skus=skus_frame([sku("S1", "P1", price="5")]),
    )
    return engine


def test_list_products_shape_and_types(catalog: sa.Engine) -> None:
    listed = list_products(catalog, None)
    assert [(p["tenant"], p["product_id"]) for p in listed] == [
        ("BrandA", "P1"),
        ("BrandA", "P2"),
        ("BrandB", "P1"),
    ]
    for p in listed:
        assert set(p) == {"tenant", *PRODUCT_COLUMNS, "images", "skus"}
        for s in p["skus"]:
            assert set(s) == {*SKU_COLUMNS, "color_family", "size_normalised", "size_system"}
    assert json.loads(json.dumps(listed)) == listed

    p1 = listed[0]
    assert (p1["sub_category"], p1["fit"], p1["next_sub_category"]) == ("Tees", "", None)
    assert p1["hsn_code"] == "61091000"
    assert p1["images"] == []
    assert [s["sku_id"] for s in p1["skus"]] == ["S1", "S2"]
    s1, s2 = p1["skus"]
    assert s2 == {
        "sku_id": "S2",
        "barcode": "012345678905",
        "size": "32",
        "color": "Black",
        "price": 1299.99,
        "offer_price": 999,
        "stock": 7,
        "facility_id": "F1",
        "facility_name": "Store 1",
        "chest_bust_in": 38.5,
        "waist_in": None,
        "hips_in": None,
        "front_length_in": None,
        "across_shoulder_in": None,
        "to_fit_bust_in": None,
        "to_fit_waist_in": None,
        "inseam_length_in": None,
        "is_disabled": False,
        "color_family": "Black",
        "size_normalised": "32",
        "size_system": "numeric",
    }
    assert type(s2["offer_price"]) is int and type(s2["stock"]) is int
    assert (s1["price"], type(s1["price"]), s1["is_disabled"], s1["stock"]) == (1299, int, True, 0)
    assert json.dumps(s2["price"]) == "1299.99"

    p2 = listed[1]
    assert p2["image_1"] == "https://img.example.com/P2/1.jpg"
    assert p2["images"] == [
        {
            "position": 0,
            "source_url": "https://img.example.com/P2/main.jpg",
            "status": "stored",
            "reason": None,
            "uri": "file:///o/images/ccc.jpg",
            "sha256": "c" * 64,
            "width": 640,
            "height": 960,
        },
        {
            "position": 1,
            "source_url": "https://img.example.com/P2/1.jpg",
            "status": "failed",
            "reason": "not an image",
            "uri": None,
            "sha256": None,
            "width": None,
            "height": None,
        },
    ]
    assert p2["skus"][0]["price"] == 0.1


def test_list_products_of_one_tenant(catalog: sa.Engine) -> None:
    only_b = list_products(catalog, "BrandB")
    assert [(p["tenant"], p["product_id"], p["brand"]) for p in only_b] == [
        ("BrandB", "P1", "BrandB")
    ]
    assert [(s["sku_id"], s["price"]) for s in only_b[0]["skus"]] == [("S1", 5)]
    assert list_products(catalog, "Nobody") == []


def test_list_products_runs_three_queries(catalog: sa.Engine) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    sa.event.listen(catalog, "before_cursor_execute", count)
    try:
        list_products(catalog, None)
    finally:
        sa.event.remove(catalog, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def test_sku_owners(catalog: sa.Engine) -> None:
    assert sku_owners(catalog, "BrandA", ["S1", "S3", "S404"]) == {"S1": "P1", "S3": "P2"}
    assert sku_owners(catalog, "BrandB", ["S1", "S3"]) == {"S1": "P1"}
    assert sku_owners(catalog, "BrandA", []) == {}
