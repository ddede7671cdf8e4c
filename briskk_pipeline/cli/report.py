"""`briskk report UPLOAD_ID [-o PATH]`: save an upload's annotated workbook (.xlsx)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from briskk_pipeline.cli import usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, check_writable

REPORT_EXITS = (
    (EXIT_OK, "saved (the path is printed)"),
    (
        EXIT_USAGE,
        "no such upload, the upload has no report, or -o names a missing folder, a folder, or "
        "a place that cannot be written",
    ),
    (EXIT_FAILED, "--rebuild: the report step failed again, or the upload cannot be rebuilt"),
    usage.FAULT,
)


def add_commands(commands: Any) -> None:
    """Add `report` to the `briskk` subcommand parser `commands`."""
    report = usage.add_command(
        commands,
        "report",
        "save an upload's annotated workbook (.xlsx)",
        exits=REPORT_EXITS,
        environment=usage.STORE,
    )
    report.add_argument("upload_id", help="the upload (see `briskk uploads`)")
    report.add_argument("-o", "--output", type=Path, help="where to save (default ./<id>.xlsx)")
    report.add_argument(
        "--rebuild",
        action="store_true",
        help="build the report again first (after a report_error; the catalog is untouched)",
    )
    report.set_defaults(handler=cmd_report, precheck=check_report_args)


def output_path(args: argparse.Namespace) -> Path:
    """Where `report` saves: `-o`, else `./<upload id>.xlsx`."""
    return args.output or Path(f"{args.upload_id}.xlsx")


def check_report_args(args: argparse.Namespace) -> None:
    """The output path can be written: its folder exists, it is not a folder itself, and this
    user may write there; else a `CliError` (exit 2) saying which."""
    check_writable(output_path(args))


def cmd_report(args: argparse.Namespace) -> int:
    """Fetch the report from the object store and write it to the output path."""
    from briskk_pipeline.catalog.uploads import get_upload
    from briskk_pipeline.reports.workbook import report_key

    with open_resources() as resources:
        record = get_upload(resources.catalog.get_engine(), args.upload_id)
        if record is None:
            raise CliError(f"no upload {args.upload_id!r} (see `briskk uploads`)")
        if args.rebuild:  # the report step alone, again (reports/rebuild.py)
            from dagster import DagsterInstance

            from briskk_pipeline.reports.rebuild import RebuildRefused, rebuild_report

            try:
                record = rebuild_report(
                    DagsterInstance.get(), resources.catalog.get_engine(), args.upload_id
                )
            except RebuildRefused as error:
                raise CliError(str(error), EXIT_FAILED) from error
            if record.get("report_error"):
                raise CliError(
                    f"the report of upload {args.upload_id} failed again: {record['report_error']}",
                    EXIT_FAILED,
                )
        if not record.get("report_uri"):
            raise CliError(
                f"upload {args.upload_id} has no report: it had no findings"
                if record["status"] in ("succeeded", "rejected", "previewed")
                else f"upload {args.upload_id} has no report (status {record['status']})"
            )
        data = resources.object_store.get(report_key(args.upload_id))
    output = output_path(args)
    try:
        output.write_bytes(data)
    except OSError as error:  # changed since the check (or a full disk): one line
        raise CliError(f"could not write {output}: {error.strerror or error}") from None
    print(output)
    return EXIT_OK
