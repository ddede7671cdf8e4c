"""Hostile files through `briskk ingest` on the real PostgreSQL: rejected, never a crash."""

from __future__ import annotations

import pytest

from briskk_pipeline_tests.fixtures.cli import briskk, briskk_json
from briskk_pipeline_tests.hostile import rewrite
from briskk_pipeline_tests.ingest.test_sandbox import SHEET_PART, workbook

pytestmark = pytest.mark.e2e


def test_a_workbook_that_needs_too_much_memory_is_a_rejected_upload(env, tmp_path):
    far = rewrite(
        workbook(),
        SHEET_PART,
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )
    path = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    path.write_bytes(far)
    result = briskk_json({**env, "BRISKK_READ_MEMORY_MB": "256"}, "ingest", str(path), code=1)
    assert result["status"] == "rejected"
    assert result["errors"][0]["row"] is None
    assert result["errors"][0]["message"].startswith(
        "reading the workbook needs more than 256 MB of memory (BRISKK_READ_MEMORY_MB)"
    )
    uploads = briskk_json(env, "uploads")
    assert [(u["upload_id"], u["status"]) for u in uploads] == [(result["upload_id"], "rejected")]


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(env, tmp_path):
    path = tmp_path / "BrandA_Briskk_SKU_Template.xlsx"
    path.write_bytes(workbook())
    done = briskk({**env, "BRISKK_MAX_UPLOAD_BYTES": "1000"}, "ingest", str(path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("briskk: the file is ")
    assert "at most 1,000 bytes is accepted per upload (BRISKK_MAX_UPLOAD_BYTES)" in done.stderr
    assert "Traceback" not in done.stderr
    assert briskk_json(env, "uploads") == []
