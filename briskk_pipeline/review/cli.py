"""`briskk review`: list held uploads, approve or decline one (registered by `briskk_pipeline.cli`).

Nothing heavy is imported at module level: `briskk --help` stays instant.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import Any

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    CliError,
    print_json,
    print_table,
)

REVIEW_ABOUT = """\
An upload whose changes cross its tenant's limits (more than a fifth of the active SKUs
disabled, a price moved by more than a factor of 2, more than 50 stored values cleared; see
BRISKK_REVIEW_* and --set-limits) is held: status needs_review, the catalog untouched.
Without UPLOAD_ID, lists the held uploads and why. --approve loads exactly the diff that was
shown (refused if the catalog changed since, unless --force); --decline rejects it.
"""
REVIEW_EXITS = (
    (EXIT_OK, "listed, approved and loaded, or declined"),
    (
        EXIT_REJECTED,
        "approval refused: the catalog changed since the diff was shown (the upload stays held)",
    ),
    (EXIT_USAGE, "usage error: no such upload, or it is not held"),
    (EXIT_FAILED, "the approval's run failed"),
)


def add_review_command(commands: Any) -> None:
    """Add `review` to the `briskk` subcommand parser `commands`."""
    review = usage.add_command(
        commands,
        "review",
        "uploads held for review: list, approve, decline",
        exits=REVIEW_EXITS,
        environment=(*usage.PIPELINE, "BRISKK_REVIEW_*"),
        description="Uploads held for review (status needs_review): list, approve or decline.",
        before=REVIEW_ABOUT,
    )
    review.add_argument("upload_id", nargs="?", help="the held upload (see `briskk review`)")
    decision = review.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="load it as shown")
    decision.add_argument("--decline", action="store_true", help="reject it; load nothing")
    review.add_argument(
        "--force", action="store_true", help="approve even if the catalog changed since"
    )
    review.add_argument("--tenant", help="list only this tenant's (any letter case)")
    review.add_argument(
        "--set-limits",
        nargs=3,
        metavar=("DISABLED_SHARE", "PRICE_FACTOR", "VALUES_CLEARED"),
        help="with --tenant: store the tenant's own limits ('-' keeps the global one)",
    )
    review.add_argument("--json", action="store_true", help="print JSON")
    review.set_defaults(handler=cmd_review, precheck=check_review_args)


def check_review_args(args: argparse.Namespace) -> None:
    """The usage errors of `briskk review`, found before Dagster or the catalog is touched
    (`cmd_review` says the same if called without this)."""
    if args.set_limits:
        return
    if args.upload_id is None and (args.approve or args.decline):
        raise CliError("give the UPLOAD_ID to approve or decline")
    if args.upload_id is not None and not (args.approve or args.decline):
        raise CliError("give --approve or --decline (or no UPLOAD_ID to list held uploads)")


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (briskk review)"


def cmd_review(args: argparse.Namespace) -> int:
    """`briskk review [UPLOAD_ID --approve|--decline]` (module docstring, REVIEW_ABOUT); usage
    errors are `CliError`s (exit 2), printed by `cli.app.main`."""
    from dagster import DagsterInstance

    from briskk_pipeline.review import decide

    with open_resources() as resources:
        engine = resources.catalog.get_engine()
        if args.set_limits:
            return _set_limits(engine, args)
        if args.upload_id is None:
            if args.approve or args.decline:
                raise CliError("give the UPLOAD_ID to approve or decline")
            return _list(decide.held_uploads(engine, args.tenant), args.json)
        if not (args.approve or args.decline):
            raise CliError("give --approve or --decline (or no UPLOAD_ID to list held uploads)")
        try:
            if args.decline:
                outcome = decide.decline(engine, args.upload_id, by=_who())
            else:
                outcome = decide.approve(
                    DagsterInstance.get(), engine, args.upload_id, by=_who(), force=args.force
                )
        except decide.ReviewError as error:
            raise CliError(str(error)) from error
    result = {
        "upload_id": outcome.upload_id,
        "decision": outcome.decision,
        "status": outcome.status,
        "refused": outcome.refused,
    }
    if args.json:
        print_json(result)
    elif outcome.refused:
        print(f"briskk: approval {outcome.refused}", file=sys.stderr)
    else:
        print(f"{outcome.upload_id}: {outcome.decision}; now {outcome.status}")
    if outcome.refused:
        return EXIT_REJECTED
    if outcome.decision == decide.APPROVED and outcome.status not in ("succeeded", "rejected"):
        return EXIT_FAILED
    return EXIT_OK


def _list(held: list[dict[str, Any]], as_json: bool) -> int:
    if as_json:
        print_json(
            [
                {
                    "upload_id": r["upload_id"],
                    "tenant": r["tenant"],
                    "file_name": r["file_name"],
                    "received_at": r["received_at"],
                    "review_reasons": r["review_reasons"],
                    "changes": r["change_summary"],
                }
                for r in held
            ]
        )
        return EXIT_OK
    if not held:
        print("no uploads held for review")
        return EXIT_OK
    print_table(
        ["upload", "tenant", "file", "why it is held"],
        [
            [r["upload_id"], r["tenant"], r["file_name"], "; ".join(r["review_reasons"])]
            for r in held
        ],
        sys.stdout,
    )
    return EXIT_OK


def _set_limits(engine: Any, args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from briskk_pipeline.review.limits import set_tenant_limits

    if not args.tenant:
        raise CliError("--set-limits needs --tenant")
    share, factor, cleared = (None if v == "-" else v for v in args.set_limits)
    try:
        set_tenant_limits(
            engine,
            args.tenant,
            disabled_share=None if share is None else Decimal(share),
            price_factor=None if factor is None else Decimal(factor),
            values_cleared=None if cleared is None else int(cleared),
        )
    except (InvalidOperation, ValueError) as error:
        raise CliError(f"--set-limits takes numbers or '-': {error}") from error
    print(f"review limits of tenant {args.tenant} stored")
    return EXIT_OK
