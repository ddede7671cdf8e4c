"""How `briskk ingest --dry-run` shows a preview to people: counts, then changes by product."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from briskk_pipeline.reports.findings import change_counts

SHOWN_PRODUCTS = 50  # products listed one by one; `--json` has them all


def _value(value: object) -> str:
    return "(blank)" if value is None else str(value)


def print_preview(changes: Sequence[Mapping[str, Any]], out: TextIO) -> None:
    """A one-line count table of the products per action, then every non-unchanged product
    with its changed fields (`old -> new`) and SKUs."""
    counts = change_counts(changes)
    print(
        "dry run, nothing was changed. products: "
        f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged, "
        f"{counts['rejected']} rejected; SKUs: {counts['skus_new']} new, "
        f"{counts['skus_changed']} changed, {counts['skus_disabled']} to disable",
        file=out,
    )
    shown = [c for c in changes if c["action"] != "unchanged"]
    for change in shown[:SHOWN_PRODUCTS]:
        print(f"\n{change['action']:9}  product {change['product_id']}", file=out)
        for name, (old, new) in change["fields"].items():
            print(f"             {name}: {_value(old)} -> {_value(new)}", file=out)
        for sku in change["skus"]:
            print(f"  {sku['action']:9}  SKU {sku['sku_id']}", file=out)
            for name, (old, new) in sku.get("fields", {}).items():
                print(f"               {name}: {_value(old)} -> {_value(new)}", file=out)
    if len(shown) > SHOWN_PRODUCTS:
        print(f"\n…and {len(shown) - SHOWN_PRODUCTS} more products (see --json)", file=out)
