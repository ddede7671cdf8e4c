"""Brand profiles in the catalog database: the current version, every earlier one, saving.

Every save is a new row of `brand_profiles` (version = previous + 1) naming who saved it,
when, and what changed (`document.diff`); rows are never updated, so `history` is the whole
story and any version can be read back (`profile_at`). A save that changes nothing stores
nothing. The review limits live in `review_limits` (`review/limits.py`): the profile reads
them from there and a save writes them there, in the same transaction, so there is one
source of truth whichever command changed them; each version's body keeps the limits it saw.
Tenants compare without regard to letter case (`tenant_key` = lower(tenant)).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from briskk_pipeline.catalog import tables
from briskk_pipeline.profiles import document
from briskk_pipeline.profiles.model import Profile, ProfileError, check

Connectable = sa.Engine | sa.Connection


@dataclass(frozen=True)
class Saved:
    """The outcome of a save: the version now current and what the save changed (empty:
    nothing changed, no version was stored)."""

    version: int
    changes: list[str]


def _rows(connection: sa.Connection, tenant: str) -> sa.Select[Any]:
    table = tables.brand_profiles
    return sa.select(table).where(table.c.tenant_key == tenant.lower())


def _limits(connection: sa.Connection, tenant: str) -> dict[str, Any]:
    table = tables.review_limits
    row = (
        connection.execute(sa.select(table).where(table.c.tenant_key == tenant.lower()))
        .mappings()
        .one_or_none()
    )
    return {k: (row[k] if row is not None else None) for k in document.LIMIT_KEYS}


def _latest(connection: sa.Connection, tenant: str) -> sa.RowMapping | None:
    table = tables.brand_profiles
    return (
        connection.execute(_rows(connection, tenant).order_by(table.c.version.desc()).limit(1))
        .mappings()
        .one_or_none()
    )


def _connected(bind: Connectable) -> Any:
    return bind.connect() if isinstance(bind, sa.Engine) else _Borrowed(bind)


class _Borrowed:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sa.Connection:
        return self.connection

    def __exit__(self, *_: object) -> None:
        return None


def current(bind: Connectable, tenant: str) -> Profile:
    """The tenant's current profile (`Profile.empty()`, version 0, when none is stored)."""
    with _connected(bind) as connection:
        row = _latest(connection, tenant)
    return Profile.empty() if row is None else document.profile_of(row["body"], row["version"])


def current_body(bind: Connectable, tenant: str) -> tuple[int, dict[str, Any]]:
    """(version, body) of the tenant's current profile, its review limits read from
    `review_limits` (version 0 and an empty body when none is stored)."""
    with _connected(bind) as connection:
        row = _latest(connection, tenant)
        limits = _limits(connection, tenant)
    version, profile = (
        (0, Profile.empty())
        if row is None
        else (
            row["version"],
            document.profile_of(row["body"], row["version"]),
        )
    )
    return version, document.body_of(profile, limits)


def profile_at(bind: Connectable, tenant: str, version: int) -> Profile | None:
    """The tenant's profile as it was at `version` (version 0: the empty one), or None."""
    if version == 0:
        return Profile.empty()
    table = tables.brand_profiles
    with _connected(bind) as connection:
        row = (
            connection.execute(_rows(connection, tenant).where(table.c.version == version))
            .mappings()
            .one_or_none()
        )
    return None if row is None else document.profile_of(row["body"], version)


def save(
    engine: sa.Engine,
    tenant: str,
    body: Mapping[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
    *,
    by: str,
    upload_id: str | None = None,
    expected_version: int | None = None,
) -> Saved:
    """Store `body` (a `document.body_of` dict, or a function of the current body that
    returns the new one, called under the lock) as the tenant's next version, if it differs.

    `expected_version`: refuse (`ProfileError`) when the current version is another one (the
    profile changed since the file was exported or the diff was shown). Raises `ProfileError`
    for a body `model.check` refuses. One transaction, under a per-tenant advisory lock, so
    two saves never take the same version or lose each other's change.
    """
    with engine.begin() as connection:
        connection.execute(
            sa.select(
                sa.func.pg_advisory_xact_lock(sa.func.hashtext("briskk-profile:" + tenant.lower()))
            )
        )
        version, old = current_body(connection, tenant)
        if expected_version is not None and expected_version != version:
            raise ProfileError(
                f"the profile of {tenant} is at version {version}, not {expected_version}: it "
                "changed since; export it again and redo the edit"
            )
        if callable(body):
            body = body(old)
        check(document.profile_of(body, 0))
        changes = document.diff(old, body)
        if not changes:
            return Saved(version, [])
        if old["review_limits"] != body["review_limits"]:
            _write_limits(connection, tenant, body["review_limits"])
        connection.execute(
            sa.insert(tables.brand_profiles).values(
                tenant_key=tenant.lower(),
                version=version + 1,
                tenant=tenant,
                body=dict(body),
                changes=changes,
                changed_by=by,
                changed_at=sa.func.now(),
                upload_id=upload_id,
            )
        )
    return Saved(version + 1, changes)


def _write_limits(connection: sa.Connection, tenant: str, limits: Mapping[str, Any]) -> None:
    table = tables.review_limits

    def number(key: str) -> Decimal | None:
        return None if limits.get(key) is None else Decimal(str(limits[key]))

    cleared = number("values_cleared")
    values = {
        "tenant_key": tenant.lower(),
        "disabled_share": number("disabled_share"),
        "price_factor": number("price_factor"),
        "values_cleared": None if cleared is None else int(cleared),
        "updated_at": sa.func.now(),
    }
    statement = insert(table).values(**values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.tenant_key],
            set_={k: statement.excluded[k] for k in values if k != "tenant_key"},
        )
    )


def with_mappings(
    body: Mapping[str, Any],
    *,
    aliases: Mapping[str, str] = {},
    ignore: list[str] | tuple[str, ...] = (),
    values: Mapping[str, Mapping[str, str]] = {},
) -> dict[str, Any]:
    """`body` with header `aliases`, `ignore`d headers and value maps added (an accepted
    mapping replaces an earlier one of the same header or value; a header mapped now is no
    longer ignored, and one ignored now no longer mapped)."""
    from briskk_pipeline.profiles.model import header_key

    new_keys = {header_key(h) for h in (*aliases, *ignore)}
    kept_aliases = {
        h: c for h, c in body["header_aliases"].items() if header_key(h) not in new_keys
    }
    kept_ignored = [h for h in body["ignore_columns"] if header_key(h) not in new_keys]
    value_maps = {c: dict(m) for c, m in body["value_maps"].items()}
    for column, mapping in values.items():
        value_maps.setdefault(column, {}).update(mapping)
    return {
        **body,
        "header_aliases": dict(sorted({**kept_aliases, **aliases}.items())),
        "ignore_columns": sorted({*kept_ignored, *ignore}),
        "value_maps": {c: dict(sorted(m.items())) for c, m in sorted(value_maps.items())},
    }


def history(engine: sa.Engine, tenant: str) -> list[dict[str, Any]]:
    """Every stored version of the tenant's profile, newest first: `version`, `changed_at`
    (ISO 8601), `changed_by`, `upload_id` (the rejected upload a mapping answered, if any)
    and `changes` (one line each)."""
    table = tables.brand_profiles
    with engine.connect() as connection:
        rows = connection.execute(
            _rows(connection, tenant).order_by(table.c.version.desc())
        ).mappings()
        return [
            {
                "version": r["version"],
                "changed_at": r["changed_at"].isoformat(),
                "changed_by": r["changed_by"],
                "upload_id": r["upload_id"],
                "changes": list(r["changes"]),
            }
            for r in rows
        ]
