"""`briskk rerun UPLOAD_ID`: run a finished upload again from its archived original
(ingest/rerun.py); output and exit codes as `briskk ingest`."""

from __future__ import annotations

import argparse
from typing import Any

from briskk_pipeline.cli import interrupts, usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.outcome import report_run
from briskk_pipeline.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError

RERUN_EXITS = (
    (EXIT_OK, "the upload was processed again, even with rejected products"),
    usage.UPLOAD_REJECTED,
    (EXIT_USAGE, "no such upload, or it cannot be re-run yet (still running; the reason is said)"),
    usage.PIPELINE_FAILED,
    usage.INTERRUPTED,
)


def add_commands(commands: Any) -> None:
    """Add `rerun` to the `briskk` subcommand parser `commands`."""
    rerun = usage.add_command(
        commands,
        "rerun",
        "run a finished upload again from its archived original",
        exits=RERUN_EXITS,
        environment=usage.PIPELINE,
    )
    rerun.add_argument("upload_id", help="the upload (see `briskk uploads`); pruned ones too")
    rerun.add_argument("--json", action="store_true", help="print one JSON object")
    rerun.add_argument(
        "--force",
        action="store_true",
        help="load it even if later uploads changed the same products or SKUs (their newer "
        "values are overwritten; recorded in history)",
    )
    rerun.set_defaults(handler=cmd_rerun)


def cmd_rerun(args: argparse.Namespace) -> int:
    """Run the upload again in this process and print its summary as `ingest` does."""
    from dagster import DagsterInstance

    from briskk_pipeline.catalog.uploads import get_upload
    from briskk_pipeline.ingest.rerun import RerunFailed, RerunRefused, rerun_upload
    from briskk_pipeline.readiness.store import upload_readiness_summary

    interrupts.start_process_helpers()  # before the sandbox: Ctrl-C stays out of it
    with open_resources() as resources:
        engine = resources.catalog.get_engine()
        try:
            rerun_upload(DagsterInstance.get(), engine, args.upload_id, force=args.force)
        except RerunRefused as error:
            raise CliError(str(error)) from error
        except RerunFailed as error:  # the upload keeps its earlier result
            raise CliError(str(error), EXIT_FAILED) from error
        record = get_upload(engine, args.upload_id)
        readiness = upload_readiness_summary(engine, args.upload_id)
    if record is None:  # checked by rerun_upload: only a catalog reset in between gets here
        raise CliError(f"upload {args.upload_id} vanished from the catalog", EXIT_FAILED)
    return report_run(record, as_json=args.json, readiness=readiness)
