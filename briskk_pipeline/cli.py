"""`briskk`: ingest an upload through the Dagster job, and read the catalog and uploads.

Human output is for people (progress on stderr, short tables, no tracebacks for expected
errors); `--json` prints exactly what SPEC §4 promises, on stdout.

Exit codes: 0 processed; 1 the upload was rejected (the file, or every product in it);
2 usage or input error (no such file, a folder, unreadable, invalid tenant, bad setting),
checked before anything heavy is imported; 3 the pipeline broke (run failed), or something
outside it failed (the object store full or read-only, the catalog database down, S3
refusing): one line on stderr in operator words (`faults.describe_fault`), no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

EPILOG = """\
exit codes:
  0  done (for ingest: the upload was processed, even with rejected products)
  1  ingest: the upload was rejected (the file, or every product in it)
  2  usage or input error (no such file, a folder, unreadable, invalid tenant, bad setting)
  3  the pipeline itself failed, or the object store or catalog database did (one line
     says which; a registered upload is recorded `failed`, see `briskk uploads`)

environment:
  BRISKK_HOME      local state: embedded PostgreSQL, objects, inbox, Dagster instance
                   (default: the user's data folder, {home})
  DATABASE_URL     a PostgreSQL catalog instead of the embedded one
  S3_BUCKET        an S3 object store instead of BRISKK_HOME/objects (with S3_ENDPOINT_URL,
                   S3_PREFIX, AWS_*)
  DAGSTER_HOME     the Dagster instance (default: BRISKK_HOME/dagster)
  BRISKK_MAX_ROWS, BRISKK_MAX_IMAGE_BYTES, BRISKK_ALLOWED_IMAGE_HOSTS, BRISKK_FETCH_IMAGES,
  BRISKK_REFRESH_IMAGES: upload limits and image policy (README, "Configuration")
"""


class CliError(Exception):
    """An expected error: printed as one line, no traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `briskk` command; returns the exit code (see `EPILOG`)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
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
        print(f"briskk: {error}", file=sys.stderr)
        return error.code
    except Exception as error:
        from briskk_pipeline.faults import describe_fault

        fault = describe_fault(error)
        if fault is None:
            raise  # a bug: its traceback is what a developer needs
        print(f"briskk: {fault}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("briskk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `briskk products | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    from briskk_pipeline.home import default_briskk_home

    epilog = EPILOG.format(home=default_briskk_home())

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    parser = argparse.ArgumentParser(
        prog="briskk",
        description="Briskk SKU template uploads to a clean product/SKU catalog.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    ingest = command(
        "ingest", "run one upload through ingest_job on the configured Dagster instance"
    )
    ingest.add_argument("path", type=Path, help="an .xlsx/.xlsm/.xls or .csv file")
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
    ingest.set_defaults(handler=cmd_ingest, precheck=_check_ingest_args)

    report = command("report", "save an upload's annotated workbook (.xlsx)")
    report.add_argument("upload_id", help="the upload (see `briskk uploads`)")
    report.add_argument("-o", "--output", type=Path, help="where to save (default ./<id>.xlsx)")
    report.set_defaults(handler=cmd_report)

    products = command("products", "list the catalog")
    products.add_argument("--tenant", help="only this tenant (any letter case)")
    products.add_argument("--json", action="store_true", help="print a JSON list")
    products.set_defaults(handler=cmd_products)

    uploads = command("uploads", "list every upload, newest first")
    uploads.add_argument("--tenant", help="only this tenant (any letter case)")
    uploads.add_argument("--json", action="store_true", help="print a JSON list")
    uploads.add_argument(
        "--limit", type=_positive_int, metavar="N", help="only the N newest uploads"
    )
    uploads.set_defaults(handler=cmd_uploads)

    rerun = command("rerun", "run a finished upload again from its archived original")
    rerun.add_argument("upload_id", help="the upload (see `briskk uploads`); pruned ones too")
    rerun.add_argument("--json", action="store_true", help="print one JSON object")
    rerun.set_defaults(handler=cmd_rerun)

    db = command("db", "catalog database maintenance")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply the catalog's migrations")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    stop = db_commands.add_parser(
        "stop", help="stop the embedded PostgreSQL of BRISKK_HOME (it outlives each command)"
    )
    stop.set_defaults(handler=cmd_db_stop, uses_dagster=False)

    from briskk_pipeline.api.cli import add_api_commands  # `serve`, `tokens`

    add_api_commands(commands)
    from briskk_pipeline.history.cli import add_history_commands  # `history`, `rollback`

    add_history_commands(commands)
    from briskk_pipeline.readiness.cli import add_readiness_command  # `readiness`

    add_readiness_command(commands)
    return parser


def _positive_int(text: str) -> int:
    """argparse type: a whole number above 0 (`--limit`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text!r}")
    return value


def _check_ingest_args(args: argparse.Namespace) -> None:
    """The upload path is a readable regular file and the tenant well formed (SPEC §2), or a
    `CliError` saying exactly what is wrong. Imports nothing heavy."""
    from briskk_pipeline.template import is_valid_tenant

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
    # the same rule and words as registration (ingest/register.py: check_tenant)
    if args.tenant is not None and not is_valid_tenant(args.tenant.strip()):
        raise CliError(
            f"tenant {args.tenant.strip()!r} is not valid: use 1 to 63 letters, digits, '_' or "
            "'-', starting with a letter or digit"
        )


@contextmanager
def _resources() -> Iterator[Any]:
    from dagster import build_resources

    from briskk_pipeline.resources import resources_from_env

    try:
        definitions = resources_from_env()
    except ValueError as error:
        raise CliError(str(error)) from error
    with build_resources(definitions) as resources:
        yield resources


# ------------------------------------------------------------------------------- ingest


def cmd_ingest(args: argparse.Namespace) -> int:
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
    from briskk_pipeline.readiness.shapes import readiness_line
    from briskk_pipeline.readiness.store import upload_readiness_summary

    path: Path = args.path  # checked by _check_ingest_args
    started = time.monotonic()
    with _resources() as resources:
        settings = resources.settings
        try:  # before reading it: a file over the cap is refused whole, never recorded
            check_size(path.stat().st_size, settings.max_upload_bytes)
        except UploadTooLarge as error:
            raise CliError(str(error), EXIT_REJECTED) from error
        warm_up()  # the reading sandbox starts while Dagster sets up
        data = path.read_bytes()
        engine = resources.catalog.get_engine()
        instance = DagsterInstance.get()
        try:
            # a store or database fault here registers nothing (main prints it, exit 3)
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
            )
            upload_id = registration.upload_id
            run_id = new_run_id()
            show_progress = not args.json and sys.stderr.isatty()
            with _progress(instance, run_id, enabled=show_progress, label=path.name):
                run_upload(
                    instance,
                    engine,
                    upload_id=upload_id,
                    tenant=registration.tenant,
                    source="cli",
                    run_id=run_id,
                )
            try:
                record = uploads.get_upload(engine, upload_id)
                readiness = upload_readiness_summary(engine, upload_id)
            except Exception as error:
                raise_failed(engine, upload_id, error)
        except RegistrationError as error:
            raise CliError(str(error)) from error
        except UploadFailed as error:
            raise CliError(str(error), EXIT_FAILED) from error
    if record is None:  # registered above: only a catalog reset in between gets here
        raise CliError(f"upload {upload_id} vanished from the catalog", EXIT_FAILED)
    summary = uploads.ingest_summary(record, seconds=time.monotonic() - started)
    summary["readiness"] = readiness  # per product and channel: "ready" or the failing rules
    if args.json:
        _print_json(summary)
    elif record["status"] != "failed":
        _print_ingest(summary, record, sys.stdout)
        if line := readiness_line(readiness):
            print(line, file=sys.stdout)
    if record["status"] == "failed":  # one line, whatever broke (the reason is recorded)
        print(f"briskk: upload {upload_id} failed: {record.get('failure_reason')}", file=sys.stderr)
    return {
        "succeeded": EXIT_OK,
        "rejected": EXIT_REJECTED,
        # a preview of a file that would be rejected says so as the real ingest would
        "previewed": EXIT_OK if record["products_loaded"] else EXIT_REJECTED,
    }.get(record["status"], EXIT_FAILED)


def cmd_db_stop(args: argparse.Namespace) -> int:
    from briskk_pipeline.catalog.db import stop_embedded_database
    from briskk_pipeline.home import briskk_home

    data_dir = briskk_home() / "postgres"
    if stop_embedded_database(data_dir):
        print(f"stopped the embedded PostgreSQL in {data_dir}")
    else:
        print(f"no embedded PostgreSQL running in {data_dir}")
    return EXIT_OK


def _print_ingest(summary: dict[str, Any], record: dict[str, Any], out: TextIO) -> None:
    status = summary["status"]
    print(
        f"{summary['upload_id']}  tenant {summary['tenant']}  {status.upper()}"
        f"  ({summary['seconds']:.1f} s)",
        file=out,
    )
    if status == "previewed":
        from briskk_pipeline.reports.preview import print_preview

        print_preview(summary["changes"], out)
        print("\nwhat the upload would load:", file=out)
    images = summary["images"]
    _print_table(
        ["products loaded", "SKUs loaded", "products rejected", "rows rejected", "images"],
        [
            [
                summary["products_loaded"],
                summary["skus_loaded"],
                summary["products_rejected"],
                summary["rows_rejected"],
                ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in images.items()),
            ]
        ],
        out,
    )
    for warning in summary["warnings"]:
        print(f"warning: {warning}", file=out)
    _print_image_failures(summary["image_failures"], out)
    errors = summary["errors"]
    if errors:
        print(f"\n{len(errors)} problem{'s' if len(errors) != 1 else ''} to fix:", file=out)
        _print_table(
            ["row", "column", "value", "problem"],
            [
                [
                    e["row"] if e["row"] is not None else "-",
                    e["column"] or "-",
                    _clip(e["value"]),
                    e["message"],
                ]
                for e in errors
            ],
            out,
        )
    if record.get("report_uri"):
        print(
            f"\nyour file with every problem marked: briskk report {summary['upload_id']}",
            file=out,
        )


def cmd_report(args: argparse.Namespace) -> int:
    from briskk_pipeline.catalog.uploads import get_upload
    from briskk_pipeline.reports.workbook import report_key

    with _resources() as resources:
        record = get_upload(resources.catalog.get_engine(), args.upload_id)
        if record is None:
            raise CliError(f"no upload {args.upload_id!r} (see `briskk uploads`)")
        if not record.get("report_uri"):
            raise CliError(
                f"upload {args.upload_id} has no report: it had no problems or warnings"
                if record["status"] in ("succeeded", "rejected", "previewed")
                else f"upload {args.upload_id} has no report (status {record['status']})"
            )
        data = resources.object_store.get(report_key(args.upload_id))
    output: Path = args.output or Path(f"{args.upload_id}.xlsx")
    output.write_bytes(data)
    print(output)
    return EXIT_OK


EXAMPLES_PER_REASON = 3


def _print_image_failures(failures: Sequence[dict[str, Any]], out: TextIO) -> None:
    """Images not stored, grouped by reason (most frequent first): count, then a few cells."""
    if not failures:
        return
    groups: dict[str, list[dict[str, Any]]] = {}
    for failure in failures:
        groups.setdefault(failure["reason"], []).append(failure)
    noun = "image" if len(failures) == 1 else "images"
    print(f"\n{len(failures)} {noun} not stored:", file=out)
    for reason, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"  {len(group)} × {reason}", file=out)
        for failure in group[:EXAMPLES_PER_REASON]:
            where = f"row {failure['row']}" if failure["row"] is not None else "row ?"
            print(f"      {where}, {failure['column']}: {_clip(failure['url'], 90)}", file=out)
        if len(group) > EXAMPLES_PER_REASON:
            print(f"      … and {len(group) - EXAMPLES_PER_REASON} more", file=out)


@contextmanager
def _progress(instance: Any, run_id: str, *, enabled: bool, label: str) -> Iterator[None]:
    """A one-line progress display on stderr, fed by the run's own event log."""
    if not enabled:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_follow_run, args=(instance, run_id, stop, label, sys.stderr), daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=2)
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def _follow_run(instance: Any, run_id: str, stop: threading.Event, label: str, err: TextIO) -> None:
    from dagster import DagsterEventType

    spinner = "|/-\\"
    stage, detail, tick, cursor = "starting", "", 0, None
    while not stop.wait(0.2):
        try:
            connection = instance.get_records_for_run(run_id, cursor=cursor)
        except Exception:  # the run may not exist yet; the display is best effort
            connection = None
        if connection is not None:
            cursor = connection.cursor
            for record in connection.records:
                entry = record.event_log_entry
                event = entry.dagster_event
                if event is not None and event.event_type == DagsterEventType.STEP_START:
                    stage, detail = event.step_key or stage, ""
                elif event is None and entry.user_message.startswith("images "):
                    detail = entry.user_message
        tick += 1
        err.write(f"\r\033[K{spinner[tick % 4]} {label}: {stage} {detail}")
        err.flush()


# ------------------------------------------------------------------------ products/uploads


def cmd_products(args: argparse.Namespace) -> int:
    from briskk_pipeline.catalog.queries import list_products

    with _resources() as resources:
        products = list_products(resources.catalog.get_engine(), args.tenant)
    if args.json:
        _print_json(products)
        return EXIT_OK
    if not products:
        print("the catalog is empty" + (f" for tenant {args.tenant}" if args.tenant else ""))
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
                _clip(p["product_name"], 32),
                p["brand"],
                f"{active}/{len(skus)}",
                f"{stored}/{len(p['images'])}",
            ]
        )
    _print_table(["tenant", "product_id", "name", "brand", "active SKUs", "images"], rows)
    print(f"{len(products)} products")
    return EXIT_OK


def cmd_uploads(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from briskk_pipeline.catalog.uploads import list_uploads, spec_upload
    from briskk_pipeline.ingest.recovery import recover_dead_uploads

    with _resources() as resources:
        engine = resources.catalog.get_engine()
        # an upload whose process died is shown `failed`, daemon or not (ingest/recovery.py)
        recover_dead_uploads(engine, DagsterInstance.get)
        records = list_uploads(engine, args.tenant, limit=args.limit)
    if args.json:
        _print_json([spec_upload(r) for r in records])
        return EXIT_OK
    if not records:
        print("no uploads yet" + (f" for tenant {args.tenant}" if args.tenant else ""))
        return EXIT_OK
    _print_table(
        ["upload_id", "tenant", "file", "received (UTC)", "status", "loaded", "rejected"],
        [
            [
                r["upload_id"],
                r["tenant"],
                _clip(r["file_name"], 28),
                str(r["received_at"])[:19].replace("T", " "),
                r["status"] + (" (pruned)" if r["pruned_at"] else ""),
                f"{r['products_loaded']} products / {r['skus_loaded']} SKUs",
                f"{r['products_rejected']} products / {r['rows_rejected']} rows",
            ]
            for r in records
        ],
    )
    return EXIT_OK


def cmd_rerun(args: argparse.Namespace) -> int:
    """`briskk rerun UPLOAD_ID`: ingest/rerun.py; output and exit codes as `briskk ingest`."""
    from dagster import DagsterInstance

    from briskk_pipeline.catalog.uploads import get_upload, ingest_summary
    from briskk_pipeline.ingest.rerun import RerunRefused, rerun_upload

    started = time.monotonic()
    with _resources() as resources:
        engine = resources.catalog.get_engine()
        try:
            rerun_upload(DagsterInstance.get(), engine, args.upload_id)
        except RerunRefused as error:
            raise CliError(str(error)) from error
        record = get_upload(engine, args.upload_id)
    if record is None:  # checked by rerun_upload: only a catalog reset in between gets here
        raise CliError(f"upload {args.upload_id} vanished from the catalog", EXIT_FAILED)
    summary = ingest_summary(record, seconds=time.monotonic() - started)
    if args.json:
        _print_json(summary)
    else:
        _print_ingest(summary, record, sys.stdout)
    previewed = EXIT_OK if record["products_loaded"] else EXIT_REJECTED
    exits = {"succeeded": EXIT_OK, "rejected": EXIT_REJECTED, "previewed": previewed}
    return exits.get(record["status"], EXIT_FAILED)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    with _resources() as resources:
        engine = resources.catalog.get_engine()  # applies migrations
        print(f"catalog schema is current ({engine.url.render_as_string(hide_password=True)})")
    return EXIT_OK


# -------------------------------------------------------------------------------- output


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _print_json(value: object) -> None:
    # one write: `json.dump` to a stream writes each token on its own (0.4 s for 3 MB)
    sys.stdout.write(json.dumps(value, default=_json_default, ensure_ascii=False, indent=2) + "\n")


def _clip(value: object, width: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO | None = None
) -> None:
    out = out or sys.stdout
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    print(line(cells[0]), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells[1:]:
        print(line(row), file=out)


if __name__ == "__main__":
    raise SystemExit(main())
