"""`briskk history` and `briskk rollback`: the command bodies (registered by `briskk_pipeline.cli`).

Nothing heavy is imported at module level: `briskk --help` stays instant.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import Any, Final, TextIO

from briskk_pipeline.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    _clip,
    _print_json,
    _print_table,
    _resources,
)

SHOWN: Final = 50  # rows of a human table before "… and N more"

HISTORY_EPILOG = """\
Each change: the upload (or rollback) that made it, when, its file, the row and the fields that
changed (old → new). --json prints every change with all its fields.

exit codes:
  0  done (also when nothing changed)
  2  usage error (give one of --product, --sku, --upload)
"""

ROLLBACK_EPILOG = """\
Restores every product and SKU row the upload changed to its state before the upload, in one
transaction under the tenant's lock: inserted rows are disabled (nothing is deleted), updated
rows get their old values, disabled SKUs come back. Runs rollback_upload_job on the Dagster
instance (it appears in the UI) and is itself recorded, so it can be rolled back too.

exit codes:
  0  rolled back (or, with --dry-run, shown)
  1  refused: later uploads changed the same rows (listed); --force restores them anyway
  2  usage error: no such upload, nothing to roll back, already rolled back, still running
  3  the rollback run failed (nothing was changed)
"""


def add_history_commands(commands: Any) -> None:
    """Add `history` and `rollback` to the `briskk` subcommand parser `commands`."""
    history = commands.add_parser(
        "history",
        help="what uploads changed in a product, a SKU, or by one upload",
        description="What uploads changed in a product (and its SKUs), a SKU, or by one upload.",
        epilog=HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument("--tenant", help="only this tenant (any letter case)")
    which = history.add_mutually_exclusive_group(required=True)
    which.add_argument("--product", metavar="P", help="a product and its SKUs")
    which.add_argument("--sku", metavar="S", help="one SKU")
    which.add_argument("--upload", metavar="U", help="everything one upload (or rollback) changed")
    history.add_argument("--json", action="store_true", help="print a JSON list")
    history.set_defaults(handler=cmd_history, uses_dagster=False)

    rollback = commands.add_parser(
        "rollback",
        help="undo an upload: restore every row it changed",
        description="Undo an upload: restore every product and SKU row it changed.",
        epilog=ROLLBACK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    return "(blank)" if value is None else _clip(value, 40)


def cmd_history(args: argparse.Namespace) -> int:
    from briskk_pipeline.history.read import list_history

    with _resources() as resources:
        changes = list_history(
            resources.catalog.get_engine(),
            tenant=args.tenant,
            product_id=args.product,
            sku_id=args.sku,
            change_set_id=args.upload,
        )
    if args.json:
        _print_json(changes)
        return EXIT_OK
    if not changes:
        print("no recorded changes")
        return EXIT_OK
    _print_history(changes, sys.stdout)
    return EXIT_OK


def _print_history(changes: list[dict[str, Any]], out: TextIO) -> None:
    rows: list[list[object]] = []
    for c in changes:
        source = c["file_name"] if c["kind"] == "upload" else f"rollback of {c['rolls_back']}"
        head = [
            str(c["time"])[:19],
            c["change_set_id"],
            _clip(source, 24),
            f"{c['entity']} {c['key']}",
            c["action"],
        ]
        if c["action"] == "inserted":
            rows.append([*head, "", f"new, {len(c['fields'])} fields"])
            continue
        for name, (old, new) in c["fields"].items():
            rows.append([*head, name, f"{_shown(old)} → {_shown(new)}"])
    _print_table(["time (UTC)", "upload", "file", "row", "action", "field", "old → new"], rows, out)
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

    with _resources():  # the catalog's settings are checked before the run
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
            # printed here, not raised as CliError: under `python -m briskk_pipeline.cli` that
            # module is `__main__` and would not catch this module's CliError class
            print(f"briskk: {error}", file=sys.stderr)
            return error.code
        if args.json:
            _print_json(error.outcome)
        else:
            _print_refusal(error.outcome, sys.stdout)
        return EXIT_REJECTED
    if args.json:
        _print_json({**outcome, "run_id": run_id})
        return EXIT_OK
    _print_outcome(outcome, run_id, sys.stdout)
    return EXIT_OK


def _print_conflicts(conflicts: list[dict[str, Any]], out: TextIO) -> None:
    _print_table(
        ["row", "field", "old → new", "changed later by"],
        [
            [
                f"{c['entity']} {c['key']}",
                c["field"],
                f"{_shown(c['old'])} → {_shown(c['new'])}",
                c["change_set_id"],
            ]
            for c in conflicts[:SHOWN]
        ],
        out,
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
    products, skus = outcome["products_changed"], outcome["skus_changed"]
    counted = f"{products} product{'s' * (products != 1)} and {skus} SKU{'s' * (skus != 1)}"
    if outcome["status"] == "dry_run":
        print(f"dry run: rolling back {outcome['target_id']} would change {counted}:", file=out)
    else:
        print(
            f"rolled back {outcome['target_id']}: {counted} restored "
            f"(as {outcome['rollback_id']}, run {run_id})",
            file=out,
        )
    rows: list[list[object]] = []
    for c in outcome["changes"]:
        for name, (old, new) in c["fields"].items():
            change = f"{_shown(old)} → {_shown(new)}"
            rows.append([f"{c['entity']} {c['key']}", c["action"], name, change])
    _print_table(["row", "action", "field", "now → restored"], rows[:SHOWN], out)
    if len(rows) > SHOWN:
        print(f"… and {len(rows) - SHOWN} more", file=out)
    if outcome["conflicts"]:
        verb = "would overwrite" if outcome["status"] == "dry_run" else "overwrote"
        print(f"\n--force {verb} these later changes:", file=out)
        _print_conflicts(outcome["conflicts"], out)
    elif outcome["status"] != "dry_run":
        print(f"undo it with: briskk rollback {outcome['rollback_id']}", file=out)
