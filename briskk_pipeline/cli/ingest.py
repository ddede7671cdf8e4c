"""`briskk ingest PATH`: one upload through `ingest_job` on the configured Dagster instance,
and the summary every run of an upload prints (`briskk rerun` prints the same). With a
`briskk serve` running on the same state, settings and code, the upload is handed to it
(`handoff/`) and the same summary printed.

Usage errors (no such file, a folder, an invalid tenant) are found before Dagster, pandas or
the database are imported or started.
"""

from __future__ import annotations

import argparse
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from briskk_pipeline.cli import interrupts, usage
from briskk_pipeline.cli.context import open_resources
from briskk_pipeline.cli.outcome import print_outcome, report_run
from briskk_pipeline.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    CliError,
    progress_line,
    ticking,
)

INTERRUPTED = "interrupted"  # the failure reason of an upload stopped by Ctrl-C

INGEST_EXITS = (
    (EXIT_OK, "the upload was processed, even with rejected products (a dry run: it would be)"),
    usage.UPLOAD_REJECTED,
    (
        EXIT_USAGE,
        "usage or input error (no such file, a folder, unreadable, invalid tenant, bad setting)",
    ),
    usage.PIPELINE_FAILED,
    usage.INTERRUPTED,
)


def add_commands(commands: Any) -> None:
    """Add `ingest` to the `briskk` subcommand parser `commands`."""
    ingest = usage.add_command(
        commands,
        "ingest",
        "run one upload through ingest_job on the configured Dagster instance",
        exits=INGEST_EXITS,
        environment=(*usage.PIPELINE, "BRISKK_HANDOFF"),
    )
    ingest.add_argument("path", type=Path, help="an .xlsx/.xlsm/.xls/.ods or .csv file")
    ingest.add_argument(
        "--tenant",
        help="the uploading tenant, any letter case (default: from the sheet name)",
    )
    ingest.add_argument("--json", action="store_true", help="print one JSON object")
    ingest.add_argument(
        "--dry-run",
        action="store_true",
        help="show what the upload would change; change nothing (recorded as 'previewed')",
    )
    ingest.add_argument(
        "--replace",
        action="store_true",
        help="the file replaces each product it contains: that product's SKUs it leaves out "
        "are disabled (default: they are kept as they are)",
    )
    ingest.set_defaults(handler=cmd_ingest, precheck=check_ingest_args)


def check_ingest_args(args: argparse.Namespace) -> None:
    """The upload path is a readable regular file and the tenant well formed (SPEC §2), or a
    `CliError` saying exactly what is wrong. Imports nothing heavy."""
    path: Path = args.path
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CliError(f"no such file: {path}") from None
    except NotADirectoryError:
        raise CliError(f"no such file: {path} (a part of the path is not a folder)") from None
    except PermissionError:
        raise CliError(f"not readable: {path} (permission denied)") from None
    if stat.S_ISDIR(mode):
        raise CliError(f"is a folder: {path} (give one .xlsx or .csv file)")
    if not stat.S_ISREG(mode):
        raise CliError(f"not a regular file: {path}")
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise CliError(f"not readable: {path} ({error.strerror or error})") from None
    check_tenant_arg(args.tenant)


def check_tenant_arg(tenant: str | None) -> None:
    """A tenant given on the command line is well formed (1 to 63 letters, digits, `_`, `-`),
    or a `CliError` in the words registration uses (ingest/register.py: check_tenant)."""
    from briskk_pipeline.template import is_valid_tenant

    if tenant is not None and not is_valid_tenant(tenant.strip()):
        raise CliError(
            f"tenant {tenant.strip()!r} is not valid: use 1 to 63 letters, digits, '_' or "
            "'-', starting with a letter or digit"
        )


def cmd_ingest(args: argparse.Namespace) -> int:
    """Hand the upload to a running `briskk serve` when there is one with the same settings
    and code (`handoff/`); otherwise register the file, run `ingest_job` in this process and
    print the summary. Either way the same summary and exit code."""
    from briskk_pipeline.handoff.client import hand_off

    handed = hand_off(args, print_outcome)  # before anything heavy is imported
    if handed is not None:
        return handed
    return run_in_process(args)


def run_in_process(args: argparse.Namespace) -> int:
    """Register the file, run `ingest_job` in this process, print the summary."""
    from dagster import DagsterInstance

    from briskk_pipeline.catalog import uploads
    from briskk_pipeline.ingest.heartbeat import this_worker
    from briskk_pipeline.ingest.launch import (
        UploadFailed,
        new_run_id,
        raise_failed,
        run_upload,
        start_upload,
    )
    from briskk_pipeline.ingest.register import RegistrationError, UploadTooLarge, check_size
    from briskk_pipeline.ingest.sandbox import warm_up
    from briskk_pipeline.readiness.store import upload_readiness_summary

    path: Path = args.path  # checked by check_ingest_args
    with open_resources() as resources:
        settings = resources.settings
        try:  # before reading it: a file over the cap is refused whole, never recorded
            check_size(path.stat().st_size, settings.max_upload_bytes)
        except UploadTooLarge as error:
            raise CliError(str(error), EXIT_REJECTED) from error
        interrupts.start_process_helpers()  # before the sandbox: Ctrl-C stays out of it
        warm_up()  # the reading sandbox starts while Dagster sets up
        data = path.read_bytes()
        engine = resources.catalog.get_engine()
        instance = DagsterInstance.get()
        from briskk_pipeline import defs, heap

        defs.resolve_job_def("ingest_job")  # loaded now, so that settling keeps it out of the GC
        heap.settle()  # start-up is done: fewer, cheaper collections during the run (heap.py)
        registration = None
        try:
            # a store or database fault here registers nothing (main prints it, exit 3);
            # Ctrl-C waits until the upload is registered, to be recorded as interrupted
            with interrupts.deferred():
                registration = start_upload(
                    data,
                    path.name,
                    explicit_tenant=args.tenant,
                    source="cli",
                    store=resources.object_store,
                    engine=engine,
                    instance=instance,
                    worker=this_worker(),  # claimed by this process until the run ends
                    dry_run=args.dry_run,
                    settings=settings,
                    mode="replace" if args.replace else "merge",
                )
            upload_id = registration.upload_id
            run_id = new_run_id()
            show_progress = not args.json and sys.stderr.isatty()
            with progress(instance, run_id, enabled=show_progress, label=path.name):
                run_upload(
                    instance,
                    engine,
                    upload_id=upload_id,
                    tenant=registration.tenant,
                    source="cli",
                    run_id=run_id,
                )
            if interrupts.was_interrupted():  # Dagster failed the run for it
                raise KeyboardInterrupt
            # the run's garbage in cycles (the report's openpyxl workbook, frames) is freed
            # before the summary is read and printed: with heap.settle's thresholds no full
            # collection may come by itself, and a 100k-row run held 470 MB more (bench)
            heap.collect()
            try:
                record = uploads.get_upload(engine, upload_id)
                readiness = upload_readiness_summary(engine, upload_id)
            except Exception as error:
                raise_failed(engine, upload_id, error)
        except RegistrationError as error:
            raise CliError(str(error)) from error
        except UploadFailed as error:
            raise CliError(str(error), EXIT_FAILED) from error
        except KeyboardInterrupt:
            if registration is not None:  # named, as the hand-off names it (handoff/client.py)
                record_interrupted(engine, registration.upload_id)
                print(
                    f"briskk: upload {registration.upload_id} was stopped (recorded failed, "
                    "interrupted)",
                    file=sys.stderr,
                )
            raise
    if record is None:  # registered above: only a catalog reset in between gets here
        raise CliError(f"upload {upload_id} vanished from the catalog", EXIT_FAILED)
    return report_run(record, as_json=args.json, readiness=readiness)


def record_interrupted(engine: Any, upload_id: str) -> None:
    """Record upload `upload_id` `failed` with reason `INTERRUPTED` unless it already ended
    otherwise (an outcome written before Ctrl-C stands). Best effort: a database that does
    not answer leaves it to the recovery check (the process is gone by then)."""
    import sqlalchemy as sa

    from briskk_pipeline.catalog import uploads

    try:
        record = uploads.get_upload(engine, upload_id)
        if record is not None and record["status"] in ("running", "failed"):
            uploads.mark_upload_failed(engine, upload_id, INTERRUPTED)
    except sa.exc.SQLAlchemyError:
        pass


@contextmanager
def progress(instance: Any, run_id: str, *, enabled: bool, label: str) -> Iterator[None]:
    """A one-line progress display on stderr while the block runs, fed by the run's own
    event log (the step running, the image counts); nothing when not `enabled`."""
    with ticking(
        lambda stop: _follow_run(instance, run_id, stop, label, sys.stderr), enabled=enabled
    ):
        yield


def _follow_run(instance: Any, run_id: str, stop: threading.Event, label: str, err: TextIO) -> None:
    stage, detail, tick, cursor = "starting", "", 0, None
    while not stop.wait(0.2):
        try:
            step, message, cursor = run_progress(instance, run_id, cursor)
        except Exception:  # the run may not exist yet; the display is best effort
            step = message = None
        stage = step or stage
        detail = detail if message is None else message
        tick += 1
        err.write(progress_line(tick, label, stage, detail))
        err.flush()


def run_progress(
    instance: Any, run_id: str, cursor: str | None
) -> tuple[str | None, str | None, str | None]:
    """What run `run_id`'s events after `cursor` say: the step started last (None: no step
    started since), the last `images …` message (`""` when a step started after it; None:
    unchanged), and the cursor to ask from next time. Raises what the instance raises (a
    run not there yet)."""
    from dagster import DagsterEventType

    stage: str | None = None
    detail: str | None = None
    connection = instance.get_records_for_run(run_id, cursor=cursor)
    for record in connection.records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is not None and event.event_type == DagsterEventType.STEP_START:
            stage, detail = event.step_key or stage, ""
        elif event is None and entry.user_message.startswith("images "):
            detail = entry.user_message
    return stage, detail, connection.cursor
