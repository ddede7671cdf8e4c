"""The Readiness sheet on its own: inert values (never a formula) and each cell's fill."""

from __future__ import annotations

import io

import openpyxl
from openpyxl import Workbook

from briskk_pipeline.readiness.sheet import write_readiness


def test_readiness_cells_are_inert_text_and_filled_by_verdict():
    verdicts = [
        {"product_id": "=1+1", "channel": "myntra", "row": 2, "ready": True, "failures": []},
        {
            "product_id": "=1+1",
            "channel": "amazon_in",
            "row": 2,
            "ready": False,
            "failures": [{"message": '=HYPERLINK("http://x")', "column": None}],
        },
        {"product_id": "P2", "channel": "myntra", "row": 6, "ready": True, "failures": []},
    ]
    book = Workbook()
    write_readiness(book, verdicts)
    out = io.BytesIO()
    book.save(out)
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Readiness"]
    product, failed, ready = sheet["A4"], sheet["C4"], sheet["D4"]
    assert (product.value, product.data_type, product.quotePrefix) == ("=1+1", "s", True)
    assert (failed.value, failed.data_type, failed.quotePrefix) == (
        '=HYPERLINK("http://x")',
        "s",
        True,
    )
    assert (failed.fill.fgColor.rgb, failed.alignment.wrap_text) == ("00FFEB9C", True)
    assert (ready.value, ready.fill.fgColor.rgb, ready.quotePrefix) == ("ready", "00E2EFDA", False)
    assert sheet["D5"].fill.fgColor.rgb == "00E2EFDA" and sheet["C5"].value is None
