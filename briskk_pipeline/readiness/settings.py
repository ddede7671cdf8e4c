"""Which channels a tenant sells on, which of them block loading, and its barcode strictness.

Per tenant, a row of `tenant_readiness` (0012_readiness), set with
`briskk readiness --tenant T --set-channels …` (readiness/cli.py). A tenant without a row
takes the environment's defaults:

- `BRISKK_CHANNELS`: comma-separated channel names (`myntra,ajio`); unset or empty: every
  channel of `channels/` (the verdict then says where a product could sell).
- `BRISKK_STRICT_BARCODES=1`: a barcode that is not a valid GTIN is a problem (its product is
  rejected) instead of a warning.

Brand profiles do not exist yet; when they do, these settings belong there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from briskk_pipeline.catalog.tables import tenant_readiness
from briskk_pipeline.readiness.rulesets import channel_names

CHANNELS_ENV = "BRISKK_CHANNELS"
STRICT_BARCODES_ENV = "BRISKK_STRICT_BARCODES"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(ValueError):
    """A channel name or setting value that cannot be used; the message says which."""


@dataclass(frozen=True)
class ReadinessSettings:
    """A tenant's readiness settings; `source` says where they came from (table or env)."""

    channels: tuple[str, ...]
    blocking: tuple[str, ...] = ()
    strict_barcodes: bool = False
    tax_rules: Mapping[str, float] = field(default_factory=dict)
    source: str = "environment"
    # the channels were chosen (a tenant row, or BRISKK_CHANNELS), not all by default: then a
    # product not ready for one of them is worth an annotated workbook of its own
    chosen: bool = False


def parse_channels(text: str | Iterable[str]) -> tuple[str, ...]:
    """Channel names from `a,b` text or a list, lower case, each once, all known.

    Raises `SettingsError` naming an unknown channel and the known ones.
    """
    names = text.split(",") if isinstance(text, str) else list(text)
    wanted = [n.strip().lower() for n in names if n.strip()]
    known = channel_names()
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SettingsError(
            f"unknown channel {', '.join(unknown)}: the channels are {', '.join(known)}"
        )
    return tuple(dict.fromkeys(wanted))


def parse_flag(text: str, name: str) -> bool:
    """`1/true/yes/on` or `0/false/no/off` (or empty); `SettingsError` otherwise."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0 (yes/no, on/off), not {text!r}")


def environment_settings(environ: Mapping[str, str] | None = None) -> ReadinessSettings:
    """The defaults of a tenant without its own row, from `BRISKK_CHANNELS` and
    `BRISKK_STRICT_BARCODES`."""
    env = os.environ if environ is None else environ
    chosen = parse_channels(env.get(CHANNELS_ENV, ""))
    strict = parse_flag(env.get(STRICT_BARCODES_ENV, ""), STRICT_BARCODES_ENV)
    return ReadinessSettings(
        channels=chosen or channel_names(), strict_barcodes=strict, chosen=bool(chosen)
    )


def settings_for(
    bind: sa.Engine | sa.Connection, tenant: str | None, environ: Mapping[str, str] | None = None
) -> ReadinessSettings:
    """`tenant`'s settings (any letter case), or the environment's when it has no row."""
    if tenant is not None:
        query = sa.select(tenant_readiness).where(tenant_readiness.c.tenant_key == tenant.lower())
        if isinstance(bind, sa.Connection):
            row = bind.execute(query).mappings().first()
        else:
            with bind.connect() as connection:
                row = connection.execute(query).mappings().first()
        if row is not None:
            return ReadinessSettings(
                channels=tuple(row["channels"]),
                blocking=tuple(row["blocking"]),
                strict_barcodes=bool(row["strict_barcodes"]),
                tax_rules=dict(row["tax_rules"]),
                source="tenant",
                chosen=True,
            )
    return environment_settings(environ)


def save_settings(
    engine: sa.Engine,
    tenant: str,
    *,
    channels: Sequence[str] | None = None,
    blocking: Sequence[str] | None = None,
    strict_barcodes: bool | None = None,
    tax_rules: Mapping[str, float] | None = None,
) -> ReadinessSettings:
    """Set the given settings of `tenant` (the others keep their value, or the environment's
    default on a first save); returns the settings now in force.

    A blocking channel must be one of the tenant's channels (`SettingsError` otherwise).
    """
    with engine.begin() as connection:
        current = settings_for(connection, tenant)
        new = ReadinessSettings(
            channels=parse_channels(channels) if channels is not None else current.channels,
            blocking=parse_channels(blocking) if blocking is not None else current.blocking,
            strict_barcodes=current.strict_barcodes if strict_barcodes is None else strict_barcodes,
            tax_rules=dict(tax_rules) if tax_rules is not None else dict(current.tax_rules),
            source="tenant",
            chosen=True,
        )
        stray = [c for c in new.blocking if c not in new.channels]
        if stray:
            raise SettingsError(
                f"blocking channel {', '.join(stray)} is not one of the tenant's channels "
                f"({', '.join(new.channels)})"
            )
        values = {
            "channels": list(new.channels),
            "blocking": list(new.blocking),
            "strict_barcodes": new.strict_barcodes,
            "tax_rules": dict(new.tax_rules),
            "updated_at": datetime.now(UTC),
        }
        insert = pg_insert(tenant_readiness).values(tenant_key=tenant.lower(), **values)
        connection.execute(insert.on_conflict_do_update(index_elements=["tenant_key"], set_=values))
    return new
