"""The `briskk` parser and `main`: run one command, turn expected errors into one line.

Each command group registers itself (`add_commands` of its module); a command's `precheck`
finds usage errors before anything heavy (Dagster, pandas, SQLAlchemy, FastAPI) is imported.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from briskk_pipeline.cli import catalog, db, ingest, interrupts, report, rerun, usage
from briskk_pipeline.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_REJECTED,
    EXIT_USAGE,
    CliError,
    flush_stdout,
    guard_stdout,
)

TOP_EXITS = (
    (0, "done (for ingest: the upload was processed, even with rejected products)"),
    (EXIT_REJECTED, "ingest, rerun: the upload was rejected; rollback: refused"),
    (EXIT_USAGE, "usage or input error: no such file, upload or tenant, a bad setting"),
    usage.PIPELINE_FAILED,
    usage.INTERRUPTED,
)


def build_parser() -> argparse.ArgumentParser:
    """`briskk` and every subcommand (each with its own --help exit codes and variables)."""
    from briskk_pipeline.api.cli import add_api_commands  # `serve`, `tokens`
    from briskk_pipeline.history.cli import add_history_commands  # `history`, `rollback`
    from briskk_pipeline.profiles.cli import add_profile_command  # `profile` (issue 22)
    from briskk_pipeline.readiness.cli import add_readiness_command  # `readiness`
    from briskk_pipeline.review.cli import add_review_command  # `review`

    parser = argparse.ArgumentParser(
        prog="briskk",
        description="Briskk SKU template uploads to a clean product/SKU catalog. "
        "`briskk COMMAND --help` says what a command returns and reads.",
        epilog=usage.epilog(TOP_EXITS, (*usage.PIPELINE, "BRISKK_API_*")),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    ingest.add_commands(commands)
    report.add_commands(commands)
    catalog.add_commands(commands)
    rerun.add_commands(commands)
    db.add_commands(commands)
    add_api_commands(commands)
    add_history_commands(commands)
    add_review_command(commands)
    add_readiness_command(commands)
    add_profile_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `briskk` command; returns its exit code (see each command's --help).

    Expected errors are one line on stderr (`briskk: …`), never a traceback: a `CliError`;
    a fault outside the pipeline (the store, the database: `faults.describe_fault`, exit 3);
    Ctrl-C (`briskk: interrupted`, exit 130); a reader that leaves stdout early ends the
    command quietly with its own code.
    """
    guard_stdout()
    try:
        code = _run(argv)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    finally:
        interrupts.finish()
        flush_stdout()
    if code == EXIT_INTERRUPTED or interrupts.was_interrupted():
        # whatever the command made of it (Dagster fails an interrupted run): Ctrl-C is 130
        print("briskk: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if not getattr(args, "own_signals", False):  # `serve`: uvicorn handles Ctrl-C itself
        interrupts.install()
    try:
        # Usage errors first, before Dagster, pandas or the database are imported or started.
        precheck = getattr(args, "precheck", None)
        if precheck is not None:
            precheck(args)
        from briskk_pipeline.home import ensure_dagster_home, state_note

        if getattr(args, "uses_dagster", True):
            ensure_dagster_home()
        note = state_note()
        if note and not getattr(args, "json", False):
            print(f"briskk: {note}", file=sys.stderr)
        return int(args.handler(args))
    except CliError as error:
        if interrupts.was_interrupted():  # e.g. "the rollback run failed": Ctrl-C did it
            return EXIT_INTERRUPTED
        print(f"briskk: {error}", file=sys.stderr)
        return error.code
    except Exception as error:
        from briskk_pipeline.faults import describe_fault

        if interrupts.was_interrupted():  # what Ctrl-C broke on its way: not a fault
            return EXIT_INTERRUPTED

        fault = describe_fault(error)
        if fault is None:
            raise  # a bug: its traceback is what a developer needs
        print(f"briskk: {fault}", file=sys.stderr)
        return EXIT_FAILED
