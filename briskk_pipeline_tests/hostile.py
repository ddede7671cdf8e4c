"""Hostile files shared by the memory test and `bench/hostile_memory.py` (issue 20 item 2).

`huge_cell_workbook` is the issue's case: one product of 800 SKU rows whose first row holds a
2 MB `product_description` that its other 799 rows leave blank (typed once, as brands do), so
any step that copies a product's value onto its rows would copy it 799 times.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

SHEET = "BrandA_Briskk_SKU_Template"


def long_text(characters: int) -> str:
    """`characters` of ordinary product prose (compresses like a brand's pasted text)."""
    sentence = (
        "Crafted from breathable organic cotton with reinforced seams, this everyday piece "
        "keeps its shape wash after wash; pair it with denim or chinos. "
    )
    return (sentence * (characters // len(sentence) + 1))[:characters]


def one_product_with_a_huge_cell(
    rows: int = 800, characters: int = 2_000_000
) -> list[dict[str, Any]]:
    """`rows` SKUs of one product; row 2's `product_description` is `characters` long and the
    product's later rows leave it blank."""
    product = template_rows(rows, skus_per_product=rows)
    product[0]["product_description"] = long_text(characters)
    for row in product[1:]:
        row["product_description"] = None
    return product


def rewrite(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The zip package `data` with `part` replaced by `change(old bytes)` (added if absent)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for name in names:
            content = source.read(name)
            target.writestr(name, change(content) if name == part else content)
        if part not in names:
            target.writestr(part, change(b""))
    return out.getvalue()


def huge_cell_workbook(scratch: Path, characters: int = 2_000_000) -> bytes:
    """`one_product_with_a_huge_cell()` as an xlsx (~100 KB) whose cell really holds
    `characters`: xlsxwriter and openpyxl both cut a string at Excel's 32,767, so the workbook
    is written with the cut text (at `scratch`) and its shared string then replaced by the
    whole one, as a script or a non-Excel tool can write it and every reader reads it."""
    rows = one_product_with_a_huge_cell(characters=32_767)
    data = write_xlsx(scratch, rows, sheet_name=SHEET).read_bytes()
    cut, whole = long_text(32_767).encode(), long_text(characters).encode()
    changed = rewrite(data, "xl/sharedStrings.xml", lambda xml: xml.replace(cut, whole, 1))
    assert changed != data, "the cut text was not found in the shared strings"
    return changed


# Runs `argv[2:]` as a child and writes its exit status and peak RSS to the file `argv[1]`:
# Linux keeps a process's peak RSS across fork and exec, so a command forked straight from
# pytest (or a benchmark) would report its parent's size. `python -I -S -c PEAK_RSS_LAUNCHER`.
PEAK_RSS_LAUNCHER = """
import json, os, sys
report, args = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(args[0], args)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    json.dump({"status": status, "max_rss_kb": usage.ru_maxrss}, out)
"""
