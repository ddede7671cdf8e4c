"""What every run of an upload prints (`briskk ingest`, in process or handed to `briskk
serve`, and `briskk rerun`): the summary, as text or `--json`, and the exit code.

Imports nothing heavy: a handed-off `briskk ingest` prints with it (`handoff/client.py`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from briskk_pipeline.cli.context import process_seconds
from briskk_pipeline.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REJECTED,
    clip,
    plural,
    print_json,
    print_table,
)

EXAMPLES_PER_REASON = 3  # image failures shown per reason before "… and N more"


def report_run(record: Mapping[str, Any], *, as_json: bool, readiness: Mapping[str, Any]) -> int:
    """Print the summary of a finished run of upload `record` (SPEC §4 JSON, or the human
    summary; a `failed` upload is one line on stderr) and return the command's exit code.
    The summary's seconds are the whole command's (`process_seconds`); `readiness` is the
    upload's marketplace readiness (`readiness.store.upload_readiness_summary`)."""
    summary = run_summary(record, readiness, seconds=process_seconds())
    return print_outcome(summary, outcome_facts(record), as_json=as_json)


def run_summary(
    record: Mapping[str, Any], readiness: Mapping[str, Any], *, seconds: float
) -> dict[str, Any]:
    """The SPEC §4 `briskk ingest --json` object of upload `record`, its readiness included
    (`briskk serve` builds it for a handed-off `briskk ingest`, which puts in its own
    seconds)."""
    from briskk_pipeline.catalog.uploads import ingest_summary

    summary = ingest_summary(record, seconds=seconds)
    summary["readiness"] = dict(readiness)  # per product and channel: ready or failing rules
    return summary


# What `print_outcome` reads of an upload record besides its summary.
OUTCOME_FACTS = (
    "upload_id",
    "status",
    "products_loaded",
    "failure_reason",
    "report_error",
    "report_uri",
)


def outcome_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `record` `print_outcome` needs (`OUTCOME_FACTS`), JSON-ready."""
    return {name: record.get(name) for name in OUTCOME_FACTS}


def print_outcome(summary: Mapping[str, Any], facts: Mapping[str, Any], *, as_json: bool) -> int:
    """Print `summary` (`run_summary`) of the upload `facts` (`outcome_facts`) and return the
    command's exit code; imports nothing heavy, so a handed-off `briskk ingest` prints
    exactly what an in-process one does."""
    from briskk_pipeline.readiness.shapes import readiness_line

    if as_json:
        print_json(summary)
    elif facts["status"] != "failed":
        print_ingest(summary, facts, sys.stdout)
        if line := readiness_line(summary["readiness"]):
            print(line, file=sys.stdout)
    if facts["status"] == "failed":  # one line, whatever broke (the reason is recorded)
        print(
            f"briskk: upload {facts['upload_id']} failed: {facts.get('failure_reason')}",
            file=sys.stderr,
        )
    elif facts.get("report_error"):  # loaded; only a step after the load failed
        upload_id = facts["upload_id"]
        print(
            f"briskk: upload {upload_id} is {facts['status']} but its report failed: "
            f"{facts['report_error']} (retry: briskk report --rebuild {upload_id})",
            file=sys.stderr,
        )
    return exit_code(facts)


def exit_code(record: Mapping[str, Any]) -> int:
    """The exit code of a finished upload: 0 processed, 1 rejected (a preview of a file that
    would be rejected says so as the real ingest would), 3 anything else (failed)."""
    previewed = EXIT_OK if record["products_loaded"] else EXIT_REJECTED
    exits = {
        "succeeded": EXIT_OK,
        "rejected": EXIT_REJECTED,
        "previewed": previewed,
        "needs_review": EXIT_REJECTED,  # not loaded: held for review (review/)
    }
    return exits.get(record["status"], EXIT_FAILED)


def print_ingest(summary: Mapping[str, Any], record: Mapping[str, Any], out: TextIO) -> None:
    """The human summary: header (id, tenant, status, seconds), counts, warnings, images not
    stored, the problems to fix, and where the annotated workbook is."""
    status = summary["status"]
    print(
        f"{summary['upload_id']}  tenant {summary['tenant']}  {status.upper()}"
        f"  ({summary['seconds']:.1f} s)",
        file=out,
    )
    if status == "needs_review":
        print("HELD FOR REVIEW: nothing was loaded; an operator approves or declines it", file=out)
        for reason in summary.get("review_reasons", []):
            print(f"  why: {reason}", file=out)
    if status == "previewed":
        from briskk_pipeline.reports.preview import print_preview

        print_preview(summary["preview"], out)
        print("\nwhat the upload would load:", file=out)
    images = summary["images"]
    print_table(
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
    if summary.get("changes"):
        from briskk_pipeline.catalog.change_table import table

        verb = {"previewed": "would change", "needs_review": "would change"}.get(status, "changed")
        print(f"\nwhat the upload {verb} ({summary['changes']['mode']}):", file=out)
        print_table(*table(summary["changes"]), out)
    for warning in summary["warnings"]:
        print(f"warning: {warning}", file=out)
    print_image_failures(summary["image_failures"], out)
    errors = summary["errors"]
    if errors:
        print(f"\n{plural(len(errors), 'problem')} to fix:", file=out)
        print_table(
            ["row", "column", "value", "problem"],
            [
                [
                    e["row"] if e["row"] is not None else "-",
                    e["column"] or "-",
                    clip(e["value"]),
                    e["message"],
                ]
                for e in errors
            ],
            out,
            wrap="problem",
        )
    if record.get("report_uri"):
        print(
            f"\nyour file with every finding marked: briskk report {summary['upload_id']}",
            file=out,
        )


def print_image_failures(failures: Sequence[Mapping[str, Any]], out: TextIO) -> None:
    """Images not stored, grouped by reason (most frequent first): count, then a few cells."""
    if not failures:
        return
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for failure in failures:
        groups.setdefault(failure["reason"], []).append(failure)
    print(f"\n{plural(len(failures), 'image')} not stored:", file=out)
    for reason, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"  {len(group)} × {reason}", file=out)
        for failure in group[:EXAMPLES_PER_REASON]:
            where = f"row {failure['row']}" if failure["row"] is not None else "row ?"
            print(f"      {where}, {failure['column']}: {clip(failure['url'], 90)}", file=out)
        if len(group) > EXAMPLES_PER_REASON:
            print(f"      … and {len(group) - EXAMPLES_PER_REASON} more", file=out)
