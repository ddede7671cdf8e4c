"""`vocab.store`: the family and size follow the stored words through loads, a price-only
update, a rollback, and the migration that adds them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from briskk_pipeline.catalog.load import load_upload
from briskk_pipeline.catalog.tables import skus
from briskk_pipeline.catalog.uploads import UploadOutcome
from briskk_pipeline.history.rollback import rollback_change_set
from briskk_pipeline.vocab.store import READING_COLUMNS, refresh_all, with_readings
from briskk_pipeline_tests.catalog.builders import (
    product,
    products_frame,
    register,
    sku,
    skus_frame,
)


def _load(engine: sa.Engine, upload_id: str, rows: list[dict[str, Any]], **kw: Any) -> None:
    register(engine, upload_id, "BrandS", file_name=f"{upload_id}.xlsx")
    load_upload(
        engine,
        upload_id=upload_id,
        tenant="BrandS",
        products=products_frame([product("P1")]),
        skus=skus_frame(rows),
        outcome=UploadOutcome(status="succeeded"),
        **kw,
    )


def _read(engine: sa.Engine) -> list[tuple[Any, ...]]:
    query = (
        sa.select(
            skus.c.sku_id,
            skus.c.color,
            skus.c.color_family,
            skus.c.size,
            skus.c.size_normalised,
            skus.c.size_system,
        )
        .where(skus.c.tenant == "BrandS")
        .order_by(skus.c.sku_id)
    )
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query)]


def test_family_and_size_follow_loads_and_rollbacks(engine: sa.Engine) -> None:
    _load(
        engine,
        "v1",
        [sku("S1", "P1", color="Navy Blue", size="2XL"), sku("S2", "P1", color="Wine", size="xx")],
    )
    first = [
        ("S1", "Navy Blue", "Navy", "2XL", "XXL", "letter"),
        ("S2", "Wine", None, "xx", None, None),
    ]
    assert _read(engine) == first
    _load(engine, "v2", [sku("S1", "P1", color="Olive", size="UK 9"), sku("S2", "P1")])
    assert _read(engine) == [
        ("S1", "Olive", "Green", "UK 9", "UK 9", "UK"),
        ("S2", "Black", "Black", "M", "M", "letter"),
    ]
    done = rollback_change_set(engine, "v2", requested_by="tester")
    assert done.status == "rolled_back"
    assert _read(engine) == first


def test_a_price_only_update_keeps_the_readings(engine: sa.Engine) -> None:
    _load(engine, "w1", [sku("S1", "P1", color="Sky Blue", size="9.5")])
    before = _read(engine)
    assert before == [("S1", "Sky Blue", "Blue", "9.5", "9.5", "numeric")]
    # a price-and-stock file: the frame's colour is not among the file's columns, so the stored
    # colour, and with it the family, stay
    _load(
        engine,
        "w2",
        [sku("S1", "P1", color="Red", size="S", price="999.00")],
        mode="update",
        columns=("sku_id", "price"),
    )
    assert _read(engine) == before


def test_refresh_all_reads_rows_stored_before_the_migration(engine: sa.Engine) -> None:
    _load(engine, "x1", [sku("S1", "P1", color="Light Sky Blue", size="3XL")])
    with engine.begin() as connection:  # as a catalog from before 0013_vocab has them
        connection.execute(
            sa.update(skus).values(color_family=None, size_normalised=None, size_system=None)
        )
    assert _read(engine) == [("S1", "Light Sky Blue", None, "3XL", None, None)]
    with engine.begin() as connection:
        refresh_all(connection)
    assert _read(engine) == [("S1", "Light Sky Blue", "Blue", "3XL", "XXXL", "letter")]


def test_migration_reads_the_skus_stored_before_it(database_url: str) -> None:
    from alembic import command

    from briskk_pipeline.catalog import db

    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        config = db.alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0011_hardening")
        connection.execute(
            sa.text(
                "INSERT INTO products (tenant, product_id, product_name, brand, "
                "product_description, category, main_image, hsn_code, product_highlights, "
                "first_upload_id, last_upload_id, created_at, updated_at) VALUES ('Old', 'P1', "
                "'Tee', 'B', 'd', 'Men', 'https://x/1.jpg', '6109', 'h', 'u', 'u', now(), now())"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO skus (tenant, sku_id, product_id, size, color, price, stock, "
                "facility_id, facility_name, is_disabled, first_upload_id, last_upload_id, "
                "created_at, updated_at) VALUES ('Old', 'S1', 'P1', 'xx-large', 'Dark Green', 10, "
                "1, 'F', 'F', false, 'u', 'u', now(), now())"
            )
        )
    db.upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(skus.c.color_family, skus.c.size_normalised, skus.c.size_system)
        ).one()
    assert tuple(row) == ("Green", "XXL", "letter")


def test_an_update_files_new_colour_gets_its_reading(engine: sa.Engine) -> None:
    # a new SKU is inserted with the readings staged beside it; an existing SKU whose colour
    # an update file changes gets the new colour's family (refreshed after the merge)
    _load(engine, "u1", [sku("S1", "P1", color="Navy Blue", size="2XL")])
    assert _read(engine) == [("S1", "Navy Blue", "Navy", "2XL", "XXL", "letter")]
    _load(engine, "u2", [sku("S1", "P1", color="Olive", size="2XL")], mode="update")
    assert _read(engine) == [("S1", "Olive", "Green", "2XL", "XXL", "letter")]


def test_with_readings_reads_each_colour_and_size_once_per_value() -> None:
    frame = skus_frame(
        [
            sku("S1", "P1", color="Navy Blue", size="2XL"),
            sku("S2", "P1", color="Navy Blue", size="UK 9"),
            sku("S3", "P1", color=None, size=None),
            sku("S4", "P1", color="Wine", size="xx"),
        ]
    )
    read = with_readings(frame)
    assert list(read.columns[-3:]) == list(READING_COLUMNS)
    readings = read[list(READING_COLUMNS)].astype(object)
    assert readings.where(readings.notna(), None).to_dict("records") == [
        {"color_family": "Navy", "size_normalised": "XXL", "size_system": "letter"},
        {"color_family": "Navy", "size_normalised": "UK 9", "size_system": "UK"},
        {"color_family": None, "size_normalised": None, "size_system": None},
        {"color_family": None, "size_normalised": None, "size_system": None},
    ]
    assert list(read["color"].astype(object).where(read["color"].notna(), None)) == [
        "Navy Blue",
        "Navy Blue",
        None,
        "Wine",
    ]
