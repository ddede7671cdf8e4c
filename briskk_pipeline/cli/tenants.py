"""`--tenant T` on a reading command: the tenant exists, or an error naming those that do."""

from __future__ import annotations

import sys
from typing import Any

from briskk_pipeline.cli.output import CliError


def require_tenant(engine: Any, name: str | None) -> str | None:
    """The stored spelling of tenant `name` (any letter case; None stays None), or a
    `CliError` (exit 2) naming the tenants there are: the CLI's caller may see all of them."""
    if name is None:
        return None
    from briskk_pipeline.catalog.tenants import known_tenant, list_tenants

    found = known_tenant(engine, name.strip())
    if found is not None:
        return found
    tenants = list_tenants(engine)
    there = f"the tenants are {', '.join(tenants)}" if tenants else "no tenant has uploaded yet"
    raise CliError(f"no tenant {name.strip()!r}: {there}")


def tenant_to_prepare(engine: Any, name: str, what: str) -> str:
    """The stored spelling of tenant `name` (any letter case); for a tenant with no upload yet,
    `name` itself after one line on stderr saying `what` (its profile, its settings) is kept
    for its first upload, so a misspelt tenant is seen (a brand is set up before its first
    file, so this is no error)."""
    from briskk_pipeline.catalog.tenants import known_tenant

    found = known_tenant(engine, name.strip())
    if found is not None:
        return found
    print(
        f"briskk: no upload of tenant {name!r} yet: {what} kept for its first upload "
        "(check the spelling: see `briskk uploads`)",
        file=sys.stderr,
    )
    return name
