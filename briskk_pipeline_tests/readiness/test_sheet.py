"""The Readiness sheet on its own: inert values (never a formula) and each cell's fill."""

from __future__ import annotations

import io

import openpyxl
from openpyxl import Workbook

from briskk_pipeline.readiness.sheet import write_readiness


def verdicts_of(first: str, message: str, *, second: str = "amazon_in") -> list[dict]:
    """Three verdicts: `first` ready and not ready (for `second`, failing with `message`),
    then P2 ready for the first channel of the pair."""
    return [
        {"product_id": first, "channel": "myntra", "row": 2, "ready": True, "failures": []},
        {
            "product_id": first,
            "channel": second,
            "row": 2,
            "ready": False,
            "failures": [{"message": message, "column": None}],
        },
        {"product_id": "P2", "channel": "myntra" if second != "ajio" else "ajio", "row": 6,
         "ready": True, "failures": []},
    ]  # fmt: skip


def test_readiness_cells_are_inert_text_and_filled_by_verdict():
    verdicts = verdicts_of("=1+1", '=HYPERLINK("http://x")')
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


def test_the_readiness_sheet_reads_a_stream_once():
    """write_readiness takes the verdict stream of `store.iter_upload_verdicts` (a generator,
    read once): the same sheet as from a list, and no sheet for an empty stream."""
    verdicts = verdicts_of("P1", "image_2 is PNG", second="ajio")

    def cells(book: Workbook) -> list[tuple]:
        return [tuple(c.value for c in row) for row in book["Readiness"].iter_rows()]

    from_list, from_stream = Workbook(), Workbook()
    write_readiness(from_list, verdicts)
    assert write_readiness(from_stream, (v for v in verdicts)) is not None
    assert cells(from_stream) == cells(from_list)
    assert cells(from_list)[0][0] == (
        "Marketplace readiness: Ajio 1 of 2 products ready, Myntra 1 of 2 products ready"
    )
    empty = Workbook()
    assert write_readiness(empty, iter(())) is None
    assert "Readiness" not in empty.sheetnames
