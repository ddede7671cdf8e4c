"""`briskk products` and `briskk uploads`: read the catalog and the uploads, as tables or JSON."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_catalog
from briskk_pipeline.cli.output import EXIT_OK, EXIT_USAGE, clip, plural, print_json, print_table
from briskk_pipeline.cli.tenants import require_tenant

READ_EXITS = (
    usage.DONE,
    (EXIT_USAGE, "usage error, or no such tenant (the message names the tenants there are)"),
    usage.FAULT,
)


def add_commands(commands: Any) -> None:
    """Add `products` and `uploads` to the `briskk` subcommand parser `commands`."""
    products = usage.add_command(
        commands, "products", "list the catalog", exits=READ_EXITS, environment=usage.CATALOG
    )
    products.add_argument("--tenant", help="only this tenant (any letter case)")
    products.add_argument("--json", action="store_true", help="print a JSON list")
    products.add_argument(
        "--color-family", metavar="FAMILY", help="only products with a SKU of this colour family"
    )
    products.add_argument(
        "--size", metavar="SIZE", help="only products with a SKU of this normalised size"
    )
    products.set_defaults(handler=cmd_products)

    uploads = usage.add_command(
        commands,
        "uploads",
        "list every upload, newest first",
        exits=READ_EXITS,
        environment=(*usage.CATALOG, "DAGSTER_HOME"),
    )
    uploads.add_argument("--tenant", help="only this tenant (any letter case)")
    uploads.add_argument("--json", action="store_true", help="print a JSON list")
    uploads.add_argument(
        "--limit", type=positive_int, metavar="N", help="only the N newest uploads"
    )
    uploads.set_defaults(handler=cmd_uploads)


def positive_int(text: str) -> int:
    """argparse type: a whole number above 0 (`--limit`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
    return value


def cmd_products(args: argparse.Namespace) -> int:
    """The catalog: one line per product (SKUs active/all, images stored/all)."""
    from briskk_pipeline.catalog.queries import list_products

    with open_catalog() as engine:
        tenant = require_tenant(engine, args.tenant)
        products = list_products(
            engine, tenant, color_family=args.color_family, size_normalised=args.size
        )
    if args.json:
        print_json(products)
        return EXIT_OK
    if not products:
        filtered = args.color_family is not None or args.size is not None
        print(
            ("no product matches" if filtered else "the catalog is empty")
            + (f" for tenant {tenant}" if tenant else "")
        )
        return EXIT_OK
    rows = []
    for p in products:
        skus = p["skus"]
        active = sum(1 for s in skus if not s["is_disabled"])
        stored = sum(1 for i in p["images"] if i["status"] == "stored")
        rows.append(
            [
                p["tenant"],
                p["product_id"],
                clip(p["product_name"], 32),
                p["brand"],
                f"{active}/{len(skus)}",
                f"{stored}/{len(p['images'])}",
            ]
        )
    print_table(
        ["tenant", "product_id", "name", "brand", "active SKUs", "images"],
        rows,
        keep=["product_id"],  # what `history --product` needs, whole
    )
    print(plural(len(products), "product"))
    return EXIT_OK


def upload_status(record: Mapping[str, Any]) -> str:
    """The status a person reads: `rolled back` once rolled back (the record keeps its run's
    status, `succeeded`), and `(pruned)` when its stored files were pruned."""
    status = "rolled back" if record.get("rolled_back_at") else str(record["status"])
    return (
        status
        + (" (pruned)" if record.get("pruned_at") else "")
        + (" (report failed)" if record.get("report_error") else "")
    )


def cmd_uploads(args: argparse.Namespace) -> int:
    """Every upload, newest first (or the `--limit` newest), dead runs first recorded failed."""
    from briskk_pipeline.catalog.uploads import (
        claimed_uploads,
        list_uploads,
        spec_upload,
        unclaimed_running_runs,
    )

    with open_catalog() as engine:
        tenant = require_tenant(engine, args.tenant)
        # an upload whose process died is shown `failed`, daemon or not (ingest/recovery.py);
        # with no upload running there is nothing to judge, and Dagster is not imported
        if claimed_uploads(engine, limit=1) or unclaimed_running_runs(engine, limit=1):
            from dagster import DagsterInstance

            from briskk_pipeline.ingest.recovery import recover_dead_uploads

            recover_dead_uploads(engine, DagsterInstance.get)
        records = list_uploads(engine, tenant, limit=args.limit)
    if args.json:
        print_json([spec_upload(r) for r in records])
        return EXIT_OK
    if not records:
        print("no uploads yet" + (f" for tenant {tenant}" if tenant else ""))
        return EXIT_OK
    print_table(
        ["upload_id", "received (UTC)", "status", "loaded", "rejected", "file"],
        [
            [
                r["upload_id"],  # begins with the tenant
                str(r["received_at"])[:16].replace("T", " "),
                upload_status(r),
                f"{plural(r['products_loaded'], 'product')}, {plural(r['skus_loaded'], 'SKU')}",
                f"{plural(r['products_rejected'], 'product')}, {plural(r['rows_rejected'], 'row')}"
                if r["products_rejected"] or r["rows_rejected"]
                else "none",
                r["file_name"],
            ]
            for r in records
        ],
        keep=["upload_id", "received (UTC)", "status"],
    )
    return EXIT_OK
