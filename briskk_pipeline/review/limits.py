"""When an upload is held for review: its tenant's limits, and the reasons it crosses them.

Defaults (issue 19, "Held for review"), each configurable per tenant (`review_limits` table,
`briskk review --set-limits`) and globally (environment variables, read when a load runs):

- `BRISKK_REVIEW_DISABLED_SHARE` (default 0.2): more than this share of the tenant's active
  SKUs disabled by one upload;
- `BRISKK_REVIEW_PRICE_FACTOR` (default 2): any price or offer price moved up or down by more
  than this factor (`1299` → `129.9`; a `10%` read as 0.10);
- `BRISKK_REVIEW_VALUES_CLEARED` (default 50): more than this many stored values made blank.

A tenant's row overrides the global value column by column (a null keeps the global one). A
held upload is recorded `needs_review` with its change summary; the catalog is untouched
(`catalog/load.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from briskk_pipeline.catalog import changes, tables

DISABLED_SHARE_ENV: Final = "BRISKK_REVIEW_DISABLED_SHARE"
PRICE_FACTOR_ENV: Final = "BRISKK_REVIEW_PRICE_FACTOR"
VALUES_CLEARED_ENV: Final = "BRISKK_REVIEW_VALUES_CLEARED"
SHOWN_MOVES: Final = 5  # price moves named in the reason; the rest counted


@dataclass(frozen=True)
class Limits:
    """What one upload may change before it is held (module docstring)."""

    disabled_share: Decimal = Decimal("0.2")
    price_factor: Decimal = Decimal(2)
    values_cleared: int = 50


def global_limits(environ: Mapping[str, str] | None = None) -> Limits:
    """The defaults, overridden by the `BRISKK_REVIEW_*` variables. Raises `ValueError` for
    a value that is not a number (or not > 0 / >= 0 as the limit needs)."""
    env = os.environ if environ is None else environ
    limits = Limits()
    if env.get(DISABLED_SHARE_ENV):
        limits = replace(limits, disabled_share=_positive(env, DISABLED_SHARE_ENV, zero=True))
    if env.get(PRICE_FACTOR_ENV):
        limits = replace(limits, price_factor=_positive(env, PRICE_FACTOR_ENV))
    if env.get(VALUES_CLEARED_ENV):
        limits = replace(limits, values_cleared=int(_positive(env, VALUES_CLEARED_ENV, zero=True)))
    return limits


def _positive(env: Mapping[str, str], name: str, *, zero: bool = False) -> Decimal:
    try:
        value = Decimal(env[name])
    except ArithmeticError as error:
        raise ValueError(f"{name} must be a number, not {env[name]!r}") from error
    if value < 0 or (value == 0 and not zero) or not value.is_finite():
        raise ValueError(f"{name} must be {'>= 0' if zero else '> 0'}, not {env[name]!r}")
    return value


def tenant_limits(connection: sa.Connection, tenant: str, base: Limits | None = None) -> Limits:
    """`base` (default: `global_limits()`) with the tenant's own limits applied."""
    limits = base or global_limits()
    table = tables.review_limits
    row = (
        connection.execute(sa.select(table).where(table.c.tenant_key == tenant.lower()))
        .mappings()
        .one_or_none()
    )
    if row is None:
        return limits
    return Limits(
        disabled_share=(
            limits.disabled_share if row["disabled_share"] is None else row["disabled_share"]
        ),
        price_factor=limits.price_factor if row["price_factor"] is None else row["price_factor"],
        values_cleared=(
            limits.values_cleared if row["values_cleared"] is None else row["values_cleared"]
        ),
    )


def set_tenant_limits(
    engine: sa.Engine,
    tenant: str,
    *,
    disabled_share: Decimal | None = None,
    price_factor: Decimal | None = None,
    values_cleared: int | None = None,
) -> None:
    """Store the tenant's own limits (None: the global one applies)."""
    table = tables.review_limits
    values = {
        "tenant_key": tenant.lower(),
        "disabled_share": disabled_share,
        "price_factor": price_factor,
        "values_cleared": values_cleared,
        "updated_at": sa.func.now(),
    }
    from sqlalchemy.dialects.postgresql import insert

    statement = insert(table).values(**values)
    with engine.begin() as connection:
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.tenant_key],
                set_={k: statement.excluded[k] for k in values if k != "tenant_key"},
            )
        )


def reasons(
    connection: sa.Connection, summary: Mapping[str, Any], active_before: int, limits: Limits
) -> list[str]:
    """Why the load just merged (in this transaction, after `changes.snapshot_before`) must
    wait for review, one line each in a brand's words; empty when it may go live."""
    found: list[str] = []
    disabled = int(summary["skus"]["disabled"])
    if disabled and disabled > limits.disabled_share * active_before:
        found.append(
            f"it takes {disabled} of your {active_before} SKUs on sale off sale, more than "
            f"{_percent(limits.disabled_share)} (the review limit)"
        )
    moves = _price_moves(connection, limits.price_factor)
    if moves:
        named = "; ".join(
            f"{sku_id} {column} {_plain(old)} → {_plain(new)}"
            for sku_id, column, old, new in moves[:SHOWN_MOVES]
        )
        more = f" and {len(moves) - SHOWN_MOVES} more" if len(moves) > SHOWN_MOVES else ""
        found.append(
            f"{len(moves)} price{'s' if len(moves) != 1 else ''} move by more than a factor of "
            f"{_plain(limits.price_factor)} ({named}{more}): check none is a typo"
        )
    cleared = int(summary["values_cleared"])
    if cleared > limits.values_cleared:
        found.append(
            f"blank cells erase {cleared} stored values, more than {limits.values_cleared} "
            "(the review limit)"
        )
    return found


def _price_moves(
    connection: sa.Connection, factor: Decimal
) -> list[tuple[str, str, Decimal, Decimal]]:
    before, skus = changes.before_skus, tables.skus
    moves: list[tuple[str, str, Decimal, Decimal]] = []
    for column in changes.PRICE_COLUMNS:
        old, new = before.c[column], skus.c[column]
        rows = connection.execute(
            sa.select(skus.c.sku_id, old, new)
            .select_from(before)
            .join(skus, sa.and_(skus.c.tenant == before.c.tenant, skus.c.sku_id == before.c.sku_id))
            .where(old > 0, new > 0, sa.or_(new > old * factor, new * factor < old))
            .order_by(skus.c.sku_id)
        )
        moves.extend((sku_id, column, a, b) for sku_id, a, b in rows)
    return sorted(moves)


def _plain(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _percent(share: Decimal) -> str:
    return f"{_plain(Decimal(share) * 100)}%"
