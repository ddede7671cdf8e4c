"""`briskk`: ingest an upload through the Dagster job, and read the catalog and uploads.

Human output is for people (progress on stderr, short tables, no tracebacks for expected
errors); `--json` prints exactly what SPEC §4 promises, on stdout.

Exit codes: 0 processed; 1 the upload was rejected (the file, or every product in it);
2 usage or input error (no such file, invalid tenant); 3 the pipeline broke (run failed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3

# The instance `briskk` creates when DAGSTER_HOME is unset (same as the repo's dagster.yaml).
LOCAL_INSTANCE_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 4
  tag_concurrency_limits:
    - key: briskk/tenant
      limit: 1
      value:
        applyLimitPerUniqueValue: true
"""


class CliError(Exception):
    """An expected error: printed as one line, no traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _default_dagster_home()
    try:
        return int(args.handler(args))
    except CliError as error:
        print(f"briskk: {error}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print("briskk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `briskk products | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briskk",
        description="Briskk SKU template uploads to a clean product/SKU catalog.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    ingest = commands.add_parser(
        "ingest", help="run one upload through ingest_job on the configured Dagster instance"
    )
    ingest.add_argument("path", type=Path, help="an .xlsx/.xlsm/.xls or .csv file")
    ingest.add_argument(
        "--tenant",
        help="the uploading tenant, any letter case (default: from the sheet name)",
    )
    ingest.add_argument("--json", action="store_true", help="print one JSON object")
    ingest.set_defaults(handler=cmd_ingest)

    products = commands.add_parser("products", help="list the catalog")
    products.add_argument("--tenant", help="only this tenant (any letter case)")
    products.add_argument("--json", action="store_true", help="print a JSON list")
    products.set_defaults(handler=cmd_products)

    uploads = commands.add_parser("uploads", help="list every upload, newest first")
    uploads.add_argument("--tenant", help="only this tenant (any letter case)")
    uploads.add_argument("--json", action="store_true", help="print a JSON list")
    uploads.set_defaults(handler=cmd_uploads)

    db = commands.add_parser("db", help="catalog database maintenance")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply the catalog's migrations")
    upgrade.set_defaults(handler=cmd_db_upgrade)

    from briskk_pipeline.api.cli import add_api_commands  # `serve`, `tokens`

    add_api_commands(commands)
    return parser


def _default_dagster_home() -> None:
    """Without DAGSTER_HOME, keep Dagster's instance beside the rest of the local state.

    A DAGSTER_HOME that does not exist yet is created (with the local instance settings), as
    the unset default is: Dagster itself refuses a missing folder.
    """
    from briskk_pipeline.resources import briskk_home

    home = Path(os.environ.get("DAGSTER_HOME") or briskk_home() / "dagster").resolve()
    if not home.exists():
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text(LOCAL_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home)


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
    from briskk_pipeline.ingest.launch import new_run_id, run_upload, start_upload
    from briskk_pipeline.ingest.register import RegistrationError

    path: Path = args.path
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    started = time.monotonic()
    data = path.read_bytes()
    with _resources() as resources:
        engine = resources.catalog.get_engine()
        instance = DagsterInstance.get()
        try:
            registration = start_upload(
                data,
                path.name,
                explicit_tenant=args.tenant,
                source="cli",
                store=resources.object_store,
                engine=engine,
                instance=instance,
            )
        except RegistrationError as error:
            raise CliError(str(error)) from error
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
        record = uploads.get_upload(engine, upload_id)
    if record is None:  # registered above: only a catalog reset in between gets here
        raise CliError(f"upload {upload_id} vanished from the catalog", EXIT_FAILED)
    summary = uploads.ingest_summary(record, seconds=time.monotonic() - started)
    if args.json:
        _print_json(summary)
    else:
        _print_ingest(summary, record, sys.stdout)
    return {
        "succeeded": EXIT_OK,
        "rejected": EXIT_REJECTED,
    }.get(record["status"], EXIT_FAILED)


def _print_ingest(summary: dict[str, Any], record: dict[str, Any], out: TextIO) -> None:
    status = summary["status"]
    print(
        f"{summary['upload_id']}  tenant {summary['tenant']}  {status.upper()}"
        f"  ({summary['seconds']:.1f} s)",
        file=out,
    )
    if status == "failed":
        print(f"  the pipeline failed: {record.get('failure_reason')}", file=out)
    images = summary["images"]
    _print_table(
        ["products loaded", "SKUs loaded", "products rejected", "rows rejected", "images"],
        [
            [
                summary["products_loaded"],
                summary["skus_loaded"],
                summary["products_rejected"],
                summary["rows_rejected"],
                ", ".join(f"{v} {k}" for k, v in images.items()),
            ]
        ],
        out,
    )
    for warning in summary["warnings"]:
        print(f"warning: {warning}", file=out)
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
    from briskk_pipeline.catalog.uploads import list_uploads, spec_upload

    with _resources() as resources:
        records = list_uploads(resources.catalog.get_engine(), args.tenant)
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
                r["status"],
                f"{r['products_loaded']} products / {r['skus_loaded']} SKUs",
                f"{r['products_rejected']} products / {r['rows_rejected']} rows",
            ]
            for r in records
        ],
    )
    return EXIT_OK


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
    json.dump(value, sys.stdout, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


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
