"""Status is the catalog's truth (Hardening issue 20, item 1), through `briskk` on the real
PostgreSQL: a step after the catalog load (the annotated report) that fails leaves a loaded
upload `succeeded` with the step's problem in `report_error`, retryable alone with
`briskk report --rebuild`; brand text that openpyxl, PostgreSQL and JSON refuse (NUL, lone
surrogates' escapes, C0/C1 controls, literal `_x0000_`) goes through every step."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.fixtures.faults import read_only
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def _with_bad_price(rows: list[dict]) -> list[dict]:
    """A warning-free upload gets no report: one rejected product makes the report step run."""
    rows[-1]["price"] = "free"
    return rows


def test_a_report_step_that_fails_after_the_load_leaves_the_upload_succeeded(env, tmp_path):
    path = write_xlsx(
        tmp_path / "BrandA_Briskk_SKU_Template.xlsx", _with_bad_price(template_rows(8))
    )
    reports = Path(env["BRISKK_HOME"]) / "objects" / "reports"
    with read_only(reports):  # a real store fault in the report step, after the load committed
        done = briskk(env, "ingest", str(path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "succeeded"
    assert summary["products_loaded"] == 1
    assert "upload_report" in summary["report_error"]
    assert "failure_reason" not in summary
    upload_id = summary["upload_id"]
    assert done.stderr.strip() == (
        f"briskk: upload {upload_id} is succeeded but its report failed: "
        f"{summary['report_error']} (retry: briskk report --rebuild {upload_id})"
    )
    assert "Traceback" not in done.stderr
    [listed] = briskk_json(env, "uploads")
    assert (listed["status"], listed["report_error"]) == ("succeeded", summary["report_error"])
    assert listed["report_uri"] is None
    table = briskk(env, "uploads").stdout
    assert "succeeded (report failed)" in table
    assert {p["product_id"] for p in briskk_json(env, "products")} == {"P000000"}

    out = tmp_path / "report.xlsx"
    rebuilt = briskk(env, "report", upload_id, "--rebuild", "-o", str(out))
    assert rebuilt.returncode == 0, rebuilt.stderr
    [listed] = briskk_json(env, "uploads")
    assert (listed["status"], listed["report_error"]) == ("succeeded", None)
    assert listed["report_uri"].endswith(f"reports/{upload_id}.xlsx")
    problems = openpyxl.load_workbook(out)["Problems"]
    assert any(row[1] == "price" for row in problems.iter_rows(values_only=True))
    assert listed["products_loaded"] == 1  # the catalog was not touched again


# Characters some writer refuses, inside one product's text, and what the brand sees of each
# in the report's copy of its sheet (Excel's view: `_xHHHH_` decoded).
HOSTILE = {
    "nul": "Shirt\x00 blue",
    "c0": "Shirt\x01\x08\x0b\x1b\x1f blue",
    "c1": "Shirt\x85\x9f blue",
    "escape": "Shirt _x0000_ and _x0041_ blue",
}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_text_every_writer_refuses_goes_through_every_step(env, tmp_path, kind, name):
    rows = _with_bad_price(template_rows(8))
    for row in rows[:4]:  # every row of product P000000
        row["product_name"] = HOSTILE[name]
    path = tmp_path / f"BrandA_Briskk_SKU_Template.{kind}"
    if kind == "csv":
        path.write_bytes(csv_bytes(rows))
    else:
        write_xlsx(path, rows)
    done = briskk(env, "ingest", str(path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # the JSON message parses
    assert (summary["status"], summary.get("report_error")) == ("succeeded", None)
    assert summary["products_loaded"] == 1
    [product] = briskk_json(env, "products")
    stored = product["product_name"]
    assert "\x00" not in stored
    [listed] = briskk_json(env, "uploads")
    assert listed["report_error"] is None
    out = tmp_path / "report.xlsx"
    assert briskk(env, "report", summary["upload_id"], "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    data = book.worksheets[1]
    header = [str(c.value).rstrip("* ") for c in data[1]]
    shown = [unescape(str(data.cell(2, header.index("product_name") + 1).value))]
    if kind == "xlsx":
        # the brand's own sheet is copied as sent: the cell is the file's cell, unchanged
        sent = openpyxl.load_workbook(path).worksheets[0]
        sent_header = [str(c.value).rstrip("* ") for c in sent[1]]
        original = sent.cell(2, sent_header.index("product_name") + 1).value
        assert shown == [unescape(str(original))]
    elif name in ("escape", "c1"):
        # kept as typed: Excel shows the literal escape, not NUL or 'A'; C1 controls are legal
        assert shown == [HOSTILE[name]]
        assert stored == HOSTILE[name]
    else:
        # each refused control shows where it was, as a visible escape
        visible = "".join(f"\\x{ord(c):02x}" if c < " " else c for c in HOSTILE[name])
        assert shown == [visible]
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        for member in archive.namelist():
            archive.read(member).decode("utf-8")  # well-formed UTF-8 throughout
