"""Hostile workbooks dropped in the inbox, end to end: the sensor registers them without
reading their cells (the code server lives on), the good file after them goes through in the
same tick, and each hostile upload's run ends `rejected` with the reason, original archived."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog.uploads import get_upload
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.harness import make_harness
from briskk_pipeline_tests.hostile import rewrite
from briskk_pipeline_tests.ingest.test_sandbox import SHEET_PART, workbook
from briskk_pipeline_tests.ingest.test_sensor import Ticker, _resources, _uploads, _workbook

pytestmark = pytest.mark.e2e

_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
)


def _far_cell(xml: bytes) -> bytes:  # a cell at the last address: a 17-billion-cell sheet
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    return xml.replace(b"</sheetData>", far)


def _entities(xml: bytes) -> bytes:  # an entity-expansion bomb in front of the sheet's XML
    return _DTD + xml.split(b"?>", 1)[1].replace(b"<sheetData>", b"<sheetData>&lol2;", 1)


HOSTILE = {
    # name: (the workbook, what the upload's error says)
    "far cell": (
        lambda: rewrite(workbook(), SHEET_PART, _far_cell),
        "reading the workbook needs more than 1,024 MB of memory (BRISKK_READ_MEMORY_MB)",
    ),
    "deflate bomb": (
        lambda: rewrite(workbook(), "xl/comments1.xml", lambda _: b" " * (40 * 2**20)),
        "compressed",
    ),
    "entity expansion": (lambda: rewrite(workbook(), SHEET_PART, _entities), "DTD"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_workbook_from_the_inbox_is_rejected_and_holds_nothing_up(
    case: str,
    tmp_path: Path,
    database_url: str,
    engine: sa.Engine,
    local_store: LocalObjectStore,
) -> None:
    build, reason = HOSTILE[case]
    inbox = tmp_path / "inbox"
    (inbox / "BrandA").mkdir(parents=True)
    hostile = inbox / "BrandA" / "a-hostile.xlsx"  # met first
    hostile.write_bytes(build())
    _workbook(inbox / "BrandA" / "b-good.xlsx")
    harness = make_harness(database_url, local_store, tmp_path, fetch_images=False)
    tick = Ticker(harness.instance, _resources(tmp_path, inbox, database_url, local_store))

    tick()  # first sight: sizes remembered
    result = tick()

    records = {r["file_name"]: r for r in _uploads(engine)}
    assert sorted(records) == ["a-hostile.xlsx", "b-good.xlsx"]
    assert {r.run_key for r in result.run_requests} == {
        records["a-hostile.xlsx"]["upload_id"],
        records["b-good.xlsx"]["upload_id"],
    }
    assert not hostile.exists() and not (inbox / ".rejected").exists()

    for name, status in (("a-hostile.xlsx", "rejected"), ("b-good.xlsx", "succeeded")):
        upload_id = records[name]["upload_id"]
        harness.instance.add_dynamic_partitions("uploads", [upload_id])
        harness.run(upload_id, raise_on_error=False)
        record = get_upload(engine, upload_id)
        assert record is not None and record["status"] == status, (name, record)
    errors = get_upload(engine, records["a-hostile.xlsx"]["upload_id"])["errors"]
    assert [e["row"] for e in errors] == [None]
    assert reason in errors[0]["message"], errors
    # the original stays archived for the brand and the operators
    assert local_store.exists(records["a-hostile.xlsx"]["archive_key"])
