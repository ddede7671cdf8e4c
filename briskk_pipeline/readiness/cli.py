"""`briskk readiness`: what is not ready for which channel across the catalog, and a tenant's
readiness settings (registered by `briskk_pipeline.cli.app`).

Nothing heavy is imported at module level: `briskk --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Final, TextIO

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.output import EXIT_OK, EXIT_USAGE, CliError, print_json

SHOWN: Final = 200  # rows of the human table before "… and N more"

ABOUT = """\
Lists each catalog product that is not ready for a channel, with the rules it fails (the image
slot or cell, and what the channel wants): the verdict of the newest upload that loaded it.
Channels: the tenant's (set with --set-channels) or BRISKK_CHANNELS, else all of them.

Settings (with --tenant): --set-channels myntra,ajio picks the tenant's channels;
--set-blocking myntra makes a channel's rules block loading (products failing them are
rejected); --strict-barcodes yes makes a barcode that is not a valid GTIN a problem.
"""

READINESS_EXITS = (
    (EXIT_OK, "done (also when everything is ready)"),
    (EXIT_USAGE, "usage error (unknown channel, a setting without --tenant)"),
)


def add_readiness_command(commands: Any) -> None:
    """Add `readiness` to the `briskk` subcommand parser `commands`."""
    command = usage.add_command(
        commands,
        "readiness",
        "what is not ready for which marketplace channel, across the catalog",
        exits=READINESS_EXITS,
        environment=(*usage.CATALOG, "BRISKK_CHANNELS"),
        before=ABOUT,
    )
    command.add_argument("--tenant", help="only this tenant (any letter case)")
    command.add_argument("--channel", help="only this channel (see --channels)")
    command.add_argument("--all", action="store_true", help="list ready products too")
    command.add_argument("--channels", action="store_true", help="list the channels and rules")
    command.add_argument("--set-channels", metavar="A,B", help="the tenant's channels")
    command.add_argument("--set-blocking", metavar="A,B", help="channels that block loading")
    command.add_argument(
        "--strict-barcodes", metavar="yes|no", help="a barcode that is not a GTIN is a problem"
    )
    command.add_argument("--json", action="store_true", help="print JSON")
    command.set_defaults(handler=cmd_readiness, uses_dagster=False)


def cmd_readiness(args: argparse.Namespace) -> int:
    """List not-ready products, the channels, or change a tenant's settings. Raises
    `CliError` (exit 2) for a usage error."""
    from briskk_pipeline.readiness.settings import SettingsError, parse_channels

    try:
        if args.channel is not None:
            parse_channels(args.channel)
        if args.channels:
            return _print_channels(args.json, sys.stdout)
        changing = (args.set_channels, args.set_blocking, args.strict_barcodes)
        if any(v is not None for v in changing):
            if not args.tenant:
                raise CliError("--set-channels, --set-blocking and --strict-barcodes need --tenant")
            return _change_settings(args)
    except SettingsError as error:
        raise CliError(str(error)) from error
    return _list(args)


def _engine_and_run(run: Any, tenant: str | None = None, *, known: bool = True) -> Any:
    """`run(engine)` with the catalog open. `tenant` (`--tenant`) must exist when `known`
    (exit 2 naming the tenants there are); otherwise a tenant with no upload yet is said on
    stderr (its settings are kept for its first upload)."""
    from briskk_pipeline.cli.tenants import require_tenant, tenant_to_prepare

    with open_resources() as resources:
        engine = resources.catalog.get_engine()
        if tenant is not None and known:
            require_tenant(engine, tenant)
        elif tenant is not None:
            tenant_to_prepare(engine, tenant, "its settings are")
        return run(engine)


def _change_settings(args: argparse.Namespace) -> int:
    from briskk_pipeline.readiness.settings import parse_flag, save_settings

    strict = (
        parse_flag(args.strict_barcodes, "--strict-barcodes")
        if args.strict_barcodes is not None
        else None
    )
    settings = _engine_and_run(
        lambda engine: save_settings(
            engine,
            args.tenant,
            channels=args.set_channels.split(",") if args.set_channels is not None else None,
            blocking=args.set_blocking.split(",") if args.set_blocking is not None else None,
            strict_barcodes=strict,
        ),
        args.tenant,
        known=False,
    )
    shown = {
        "tenant": args.tenant,
        "channels": list(settings.channels),
        "blocking": list(settings.blocking),
        "strict_barcodes": settings.strict_barcodes,
    }
    if args.json:
        print_json(shown)
    else:
        print(
            f"{args.tenant}: channels {', '.join(settings.channels)}; blocking "
            f"{', '.join(settings.blocking) or 'none'}; strict barcodes "
            f"{'yes' if settings.strict_barcodes else 'no'}"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    from briskk_pipeline.readiness.listing import not_ready_listing

    rows = _engine_and_run(
        lambda engine: not_ready_listing(
            engine, tenant=args.tenant, channel=args.channel, include_ready=args.all
        ),
        args.tenant,
    )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("every product is ready for its tenant's channels")
        return 0
    _print_rows(rows, sys.stdout)
    return 0


def _print_rows(rows: list[dict[str, Any]], out: TextIO) -> None:
    for r in rows[:SHOWN]:
        state = "ready" if r["ready"] else f"{len(r['failures'])} failing"
        print(f"{r['tenant']}  {r['product_id']}  {r['channel']}: {state}", file=out)
        for f in r["failures"]:
            where = f" [{f['column']}]" if f.get("column") else ""
            print(f"    - {f['message']}{where}", file=out)
    if len(rows) > SHOWN:
        print(f"… and {len(rows) - SHOWN} more (--json lists all)", file=out)


def _print_channels(as_json: bool, out: TextIO) -> int:
    from briskk_pipeline.readiness.rulesets import rule_sets

    sets = rule_sets()
    if as_json:
        print_json(
            {
                name: {
                    "name": rules.name,
                    "rules": [
                        {
                            "id": r.id,
                            "kind": r.kind,
                            "says": r.says,
                            "source": r.source,
                            "url": r.url,
                            "version_date": r.version_date.isoformat(),
                        }
                        for r in rules.rules
                    ],
                }
                for name, rules in sets.items()
            }
        )
        return 0
    for name, rules in sets.items():
        print(f"{name} ({rules.name})", file=out)
        for r in rules.rules:
            print(f"    {r.id}: {r.says} — {r.source} ({r.version_date})", file=out)
    return 0
