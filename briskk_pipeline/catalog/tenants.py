"""Tenant identity: one tenant whatever the letter case, spelled as first registered.

SPEC §2: "Tenant names compare without regard to letter case: `brandA` and `BrandA` are one
tenant. Every key is per tenant." The `tenants` table holds one row per tenant, keyed by
`lower(name)`; `register_tenant` maps any spelling to the stored one (inserting it on first
sight), and registration files the upload (its id, archive key, catalog rows, advisory lock,
run tag) under that spelling only. Lookups by tenant (`briskk products --tenant`, `briskk
uploads --tenant`) use `same_tenant`, which ignores case, so they also find rows a catalog
held under a second spelling before tenants were tracked (see migration 0002_tenants).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from briskk_pipeline.catalog.tables import tenants


def register_tenant(engine: sa.Engine | sa.Connection, name: str) -> str:
    """The stored spelling of tenant `name` (any case), registering `name` on first sight.

    Race-safe without locks: `INSERT … ON CONFLICT DO NOTHING` (on either unique index) then
    a read, so uploads of a new tenant arriving at once (`brandA` twice, or `brandA` and
    `BrandA`) all get whichever spelling committed first (under READ COMMITTED, PostgreSQL's
    default, the read sees the row the insert waited for). `name` must already be a valid
    tenant (`template.is_valid_tenant`).
    """
    if isinstance(engine, sa.Connection):
        return _register(engine, name)
    with engine.begin() as connection:
        return _register(connection, name)


def _register(connection: sa.Connection, name: str) -> str:
    key = sa.func.lower(sa.literal(name, sa.Text))
    connection.execute(
        insert(tenants)
        .values(tenant_key=key, name=name, created_at=sa.func.now())
        # No conflict target: both unique indexes (tenant_key and name) are arbiters. With
        # only tenant_key named, two inserts of one spelling could both pass the arbiter
        # check and the loser then failed on `tenants_name_key` (a non-arbiter unique index
        # raises instead of skipping): UniqueViolation, once in ~20 rounds of 10 at once.
        .on_conflict_do_nothing()
    )
    query = sa.select(tenants.c.name).where(tenants.c.tenant_key == key)
    return str(connection.execute(query).scalar_one())


def known_tenant(engine: sa.Engine, name: str) -> str | None:
    """The stored spelling of tenant `name` (any case), or None if it was never registered."""
    query = sa.select(tenants.c.name).where(
        tenants.c.tenant_key == sa.func.lower(sa.literal(name, sa.Text))
    )
    with engine.connect() as connection:
        return connection.execute(query).scalar_one_or_none()


def same_tenant(column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """`column` holds tenant `name`, in any letter case (SPEC §2)."""
    return sa.func.lower(column) == sa.func.lower(sa.literal(name, sa.Text))


def list_tenants(engine: sa.Engine) -> list[str]:
    """Every registered tenant, as first spelled, in case-insensitive alphabetical order."""
    query = sa.select(tenants.c.name).order_by(tenants.c.tenant_key)
    with engine.connect() as connection:
        return [str(name) for name in connection.execute(query).scalars()]
