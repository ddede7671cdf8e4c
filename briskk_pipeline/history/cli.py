"""`briskk history` and `briskk rollback`: the command bodies (registered by
`briskk_pipeline.cli.app`).

Nothing heavy is imported at module level: `briskk --help` stays instant.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import Any, Final, TextIO

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.output import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    CliError,
    clip,
    plural,
    print_json,
    print_table,
)
from briskk_pipeline.cli.tenants import require_tenant

SHOWN: Final = 50  # rows of a human table before "… and N more"

HISTORY_ABOUT = """\
Each change: the upload (or rollback) that made it, when, its file, the row and the fields that
changed (old → new). --json prints every change with all its fields, values whole."""
HISTORY_EXITS = (
    (EXIT_OK, "done (also when nothing changed)"),
    (
        EXIT_USAGE,
        "usage error (give one of --product, --sku, --upload), no such upload, or no such "
        "tenant (the message names the tenants there are)",
    ),
    usage.FAULT,
)

ROLLBACK_ABOUT = """\
Restores every product and SKU row the upload changed to its state before the upload, in one
transaction under the tenant's lock: inserted rows are disabled (nothing is deleted), updated
rows get their old values, disabled SKUs come back. Runs rollback_upload_job on the Dagster
instance (it appears in the UI) and is itself recorded, so it can be rolled back too."""
ROLLBACK_EXITS = (
    (EXIT_OK, "rolled back (or, with --dry-run, shown)"),
    (
        EXIT_REJECTED,
        "refused: later uploads changed the same rows (listed); --force restores them anyway",
    ),
    (
        EXIT_USAGE,
        "usage error: no such upload, nothing to roll back, already rolled back, still running",
    ),
    (3, "the rollback run failed (nothing was changed), or the catalog database did"),
    usage.INTERRUPTED,
)


def add_history_commands(commands: Any) -> None:
    """Add `history` and `rollback` to the `briskk` subcommand parser `commands`."""
    history = usage.add_command(
        commands,
        "history",
        "what uploads changed in a product, a SKU, or by one upload",
        description="What uploads changed in a product (and its SKUs), a SKU, or by one upload.",
        exits=HISTORY_EXITS,
        environment=usage.CATALOG,
        before=HISTORY_ABOUT,
    )
    history.add_argument("--tenant", help="only this tenant (any letter case)")
    which = history.add_mutually_exclusive_group(required=True)
    which.add_argument("--product", metavar="P", help="a product and its SKUs")
    which.add_argument("--sku", metavar="S", help="one SKU")
    which.add_argument("--upload", metavar="U", help="everything one upload (or rollback) changed")
    history.add_argument("--json", action="store_true", help="print a JSON list")
    history.set_defaults(handler=cmd_history, uses_dagster=False)

    rollback = usage.add_command(
        commands,
        "rollback",
        "undo an upload: restore every row it changed",
        description="Undo an upload: restore every product and SKU row it changed.",
        exits=ROLLBACK_EXITS,
        environment=(*usage.CATALOG, "DAGSTER_HOME"),
        before=ROLLBACK_ABOUT,
    )
    rollback.add_argument("upload_id", help="the upload (see `briskk uploads`) or a rollback id")
    rollback.add_argument(
        "--force", action="store_true", help="also restore rows later uploads changed"
    )
    rollback.add_argument("--dry-run", action="store_true", help="show what it would do only")
    rollback.add_argument("--json", action="store_true", help="print one JSON object")
    rollback.set_defaults(handler=cmd_rollback)


# ------------------------------------------------------------------------------ history


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(f"{p}: {u} ({s})" for p, u, s in value) if value else "(none)"
    return "(blank)" if value is None else clip(value, 40)


def cmd_history(args: argparse.Namespace) -> int:
    from briskk_pipeline.history.read import change_set_exists, list_history

    with open_resources() as resources:
        engine = resources.catalog.get_engine()
        tenant = require_tenant(engine, args.tenant)
        if args.upload is not None and not change_set_exists(engine, args.upload):
            raise CliError(f"no upload or rollback with id {args.upload!r} (see briskk uploads)")
        changes = list_history(
            engine,
            tenant=tenant,
            product_id=args.product,
            sku_id=args.sku,
            change_set_id=args.upload,
        )
    if args.json:
        print_json(changes)
        return EXIT_OK
    if not changes:
        print("no recorded changes")
        return EXIT_OK
    _print_history(changes, sys.stdout)
    return EXIT_OK


def _print_history(changes: list[dict[str, Any]], out: TextIO) -> None:
    """One block per change set (id, time, file), then a table of its rows' changes: each
    line fits 120 columns, long values wrapped."""
    blocks: dict[str, list[dict[str, Any]]] = {}
    for c in changes:
        blocks.setdefault(c["change_set_id"], []).append(c)
    for number, (change_set, block) in enumerate(blocks.items()):
        first = block[0]
        source = (
            first["file_name"]
            if first["kind"] == "upload"
            else f"rollback of {first['rolls_back']}"
        )
        when = str(first["time"])[:19].replace("T", " ")
        print(
            f"{'' if number == 0 else chr(10)}{change_set}  {when} UTC  {clip(source, 40)}"
            f"  (tenant {first['tenant']})",
            file=out,
        )
        rows: list[list[object]] = []
        for c in block:
            where = f"{c['entity']} {c['key']}"
            if c["action"] == "inserted":
                rows.append([where, c["action"], "", f"new, {plural(len(c['fields']), 'field')}"])
                continue
            for name, (old, new) in c["fields"].items():
                rows.append([where, c["action"], name, f"{_shown(old)} → {_shown(new)}"])
        print_table(["row", "action", "field", "old → new"], rows, out, wrap="old → new")
    tenants = {c["tenant"] for c in changes}
    if len(tenants) > 1:
        print(f"(tenants {', '.join(sorted(tenants))}: add --tenant to see one)", file=out)


# ----------------------------------------------------------------------------- rollback


def _requester() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()} (briskk rollback)"


def cmd_rollback(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from briskk_pipeline.history.jobs import RollbackRunError, launch_rollback

    with open_resources():  # the catalog's settings are checked before the run
        pass
    try:
        outcome, run_id = launch_rollback(
            DagsterInstance.get(),
            args.upload_id,
            force=args.force,
            dry_run=args.dry_run,
            requested_by=_requester(),
            tags={"briskk/source": "cli"},
        )
    except RollbackRunError as error:
        if error.outcome is None:
            raise CliError(str(error), error.code) from error
        if args.json:
            print_json(error.outcome)
        else:
            _print_refusal(error.outcome, sys.stdout)
        return EXIT_REJECTED
    if args.json:
        print_json({**outcome, "run_id": run_id})
        return EXIT_OK
    _print_outcome(outcome, run_id, sys.stdout)
    return EXIT_OK


def _print_conflicts(conflicts: list[dict[str, Any]], out: TextIO) -> None:
    print_table(
        ["row", "field", "changed later by", "old → new"],
        [
            [
                f"{c['entity']} {c['key']}",
                c["field"],
                c["change_set_id"],
                f"{_shown(c['old'])} → {_shown(c['new'])}",
            ]
            for c in conflicts[:SHOWN]
        ],
        out,
        wrap="old → new",
    )
    if len(conflicts) > SHOWN:
        print(f"… and {len(conflicts) - SHOWN} more", file=out)


def _print_refusal(outcome: dict[str, Any], out: TextIO) -> None:
    print(
        f"{outcome['target_id']}: not rolled back: later uploads changed the same rows",
        file=out,
    )
    _print_conflicts(outcome["conflicts"], out)
    print("\nbriskk rollback --force restores them to before the upload anyway", file=out)


def _print_outcome(outcome: dict[str, Any], run_id: str, out: TextIO) -> None:
    """What a rollback did (or, dry run, would do): the counts, the rows restored, and the
    later changes it overwrote (or would, or would refuse for)."""
    products, skus = outcome["products_changed"], outcome["skus_changed"]
    dry_run = outcome["status"] == "dry_run"
    refused = dry_run and outcome["conflicts"] and not outcome.get("forced")
    counted = f"{plural(products, 'product')} and {plural(skus, 'SKU')}"
    rows: list[list[object]] = []
    for c in outcome["changes"]:
        for name, (old, new) in c["fields"].items():
            change = f"{_shown(old)} → {_shown(new)}"
            rows.append([f"{c['entity']} {c['key']}", c["action"], name, change])
    target = outcome["target_id"]
    if refused:
        print(
            f"dry run: {target} would not be rolled back: later uploads changed the same "
            "rows (below); --force would restore them",
            file=out,
        )
    if dry_run and not rows:
        print(f"dry run: rolling back {target} would change no product and no SKU", file=out)
    elif dry_run:
        lead = "with --force, rolling back" if refused else "dry run: rolling back"
        print(f"{lead} {target} would change {counted}:", file=out)
    else:
        print(
            f"rolled back {target}: {counted} restored (as {outcome['rollback_id']}, run {run_id})",
            file=out,
        )
    if rows:
        print_table(
            ["row", "action", "field", "now → restored"], rows[:SHOWN], out, wrap="now → restored"
        )
        if len(rows) > SHOWN:
            print(f"… and {len(rows) - SHOWN} more", file=out)
    if outcome["conflicts"]:
        if refused:
            print("\nlater changes in the way:", file=out)
        else:
            verb = "would overwrite" if dry_run else "overwrote"
            print(f"\n--force {verb} these later changes:", file=out)
        _print_conflicts(outcome["conflicts"], out)
    elif not dry_run:
        print(f"undo it with: briskk rollback {outcome['rollback_id']}", file=out)
