"""Tenant identity in the catalog (SPEC §2): one tenant whatever the case, first spelling kept."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from briskk_pipeline.catalog import db, tables
from briskk_pipeline.catalog.queries import list_products
from briskk_pipeline.catalog.tenants import known_tenant, register_tenant
from briskk_pipeline.catalog.uploads import find_upload_by_sha256, list_uploads
from briskk_pipeline_tests.catalog.builders import register

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def stored(engine: sa.Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        query = sa.select(tables.tenants.c.tenant_key, tables.tenants.c.name)
        return [tuple(r) for r in connection.execute(query.order_by(tables.tenants.c.tenant_key))]


def test_first_spelling_is_kept_whatever_case_comes_next(engine: sa.Engine) -> None:
    assert register_tenant(engine, "brandA") == "brandA"
    assert register_tenant(engine, "BrandA") == "brandA"
    assert register_tenant(engine, "BRANDA") == "brandA"
    assert register_tenant(engine, "BrandB") == "BrandB"
    assert stored(engine) == [("branda", "brandA"), ("brandb", "BrandB")]
    assert known_tenant(engine, "BRANDB") == "BrandB"
    assert known_tenant(engine, "BrandC") is None


def test_concurrent_first_registrations_agree_on_one_spelling(engine: sa.Engine) -> None:
    spellings = ["brandA", "BrandA", "BRANDA", "branda", "bRaNdA", "BrAnDa"]
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(spellings))

    def run(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(register_tenant(engine, name))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in spellings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == len(spellings) and len(set(results)) == 1
    assert stored(engine) == [("branda", results[0])]


def test_the_key_is_the_lower_case_name(engine: sa.Engine) -> None:
    with (
        pytest.raises(sa.exc.IntegrityError, match="tenants_key_check"),
        engine.begin() as connection,
    ):
        connection.execute(
            sa.insert(tables.tenants).values(tenant_key="BrandA", name="BrandA", created_at=T0)
        )
    with engine.connect() as connection:
        checks = {c["name"] for c in sa.inspect(connection).get_check_constraints("tenants")}
    assert checks == {"tenants_key_check"}


def test_upload_lookups_ignore_case(engine: sa.Engine) -> None:
    register(engine, "BrandA-1", "BrandA", sha256="cd" * 32)
    register(engine, "BrandB-1", "BrandB")
    for spelling in ("BrandA", "branda", "BRANDA"):
        assert [u["upload_id"] for u in list_uploads(engine, spelling)] == ["BrandA-1"]
        assert [u["upload_id"] for u in find_upload_by_sha256(engine, spelling, "cd" * 32)] == [
            "BrandA-1"
        ]
    assert list_uploads(engine, "Brand") == []


def _insert_product(connection: sa.Connection, tenant: str, product_id: str, at: datetime) -> None:
    values = {
        c.name: "x"
        for c in tables.products.columns
        if not c.nullable and c.name not in ("created_at", "updated_at")
    }
    values.update(tenant=tenant, product_id=product_id, created_at=at, updated_at=at)
    connection.execute(sa.insert(tables.products).values(**values))


def test_upgrade_from_0001_backfills_the_first_spelling(database_url: str) -> None:
    """A catalog made before tenants were tracked: each tenant gets the spelling of its
    earliest upload; one that already holds two spellings keeps both sets of rows, and a
    lookup in any case finds both."""
    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        config = db.alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
    register(engine, "brandA-1", "brandA", received_at=T0 + timedelta(days=2))
    register(engine, "BrandA-1", "BrandA", received_at=T0)  # earliest: its spelling wins
    register(engine, "BrandB-1", "BrandB", received_at=T0 + timedelta(days=1))
    with engine.begin() as connection:
        _insert_product(connection, "BrandA", "P1", T0)
        _insert_product(connection, "brandA", "P2", T0 + timedelta(days=2))
        _insert_product(connection, "OnlyProducts", "P3", T0)  # no upload record at all

    db.upgrade(engine)

    with engine.connect() as connection:
        assert db.current_revision(connection) == db.head_revision()
        created = dict(
            connection.execute(sa.select(tables.tenants.c.name, tables.tenants.c.created_at))
            .tuples()
            .all()
        )
    assert stored(engine) == [
        ("branda", "BrandA"),
        ("brandb", "BrandB"),
        ("onlyproducts", "OnlyProducts"),
    ]
    assert created == {"BrandA": T0, "BrandB": T0 + timedelta(days=1), "OnlyProducts": T0}
    assert register_tenant(engine, "BRANDA") == "BrandA"
    both = list_products(engine, "branda")
    assert [(p["tenant"], p["product_id"]) for p in both] == [("BrandA", "P1"), ("brandA", "P2")]
    assert {u["upload_id"] for u in list_uploads(engine, "BRANDA")} == {"BrandA-1", "brandA-1"}


def test_concurrent_first_registrations_of_one_spelling_never_collide(engine: sa.Engine) -> None:
    """Ten registrations of one new spelling at once, over many rounds (issue 20 item 3):
    with the conflict target on `tenant_key` alone, a round in ~20 lost one of them to
    `UniqueViolation … tenants_name_key`. Each thread holds an open connection before the
    barrier, so the ten inserts really meet in the server."""
    pool = sa.create_engine(engine.url, pool_size=10, max_overflow=0)
    try:
        for round_ in range(100):
            name = f"Brand{round_}"
            results: list[str] = []
            errors: list[BaseException] = []
            barrier = threading.Barrier(10)

            def run(
                name: str = name,
                barrier: threading.Barrier = barrier,
                results: list[str] = results,
                errors: list[BaseException] = errors,
            ) -> None:
                with pool.connect() as connection:
                    connection.execute(sa.select(1))
                    connection.commit()
                    try:
                        barrier.wait(timeout=30)
                        results.append(register_tenant(connection, name))
                        connection.commit()
                    except BaseException as error:
                        errors.append(error)

            threads = [threading.Thread(target=run) for _ in range(10)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == [], f"round {round_}: {errors[0]}"
            assert results == [name] * 10
        assert len(stored(engine)) == 100
    finally:
        pool.dispose()
