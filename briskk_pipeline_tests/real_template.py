"""The real Briskk template (`../shared/samples/briskk-sku-template.xlsx`) and a brand's copy.

The template's four sample rows are its example products, which are never loaded into a
brand's catalog (`validation/examples.py`). `brand_copy` is the same workbook, byte for byte as
Excel wrote it except that the example ids are renamed in its shared strings (`prod001` ->
`kurta001`, `sku001` -> `ksku001`): a brand that typed its own products over the examples'
content, which is what the tests of the real file's loading need.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

REAL_TEMPLATE = Path(__file__).resolve().parents[2] / "shared/samples/briskk-sku-template.xlsx"
RENAMED = {f"prod00{i}": f"kurta00{i}" for i in range(1, 5)} | {
    f"sku00{i}": f"ksku00{i}" for i in range(1, 5)
}


def brand_copy(directory: Path, name: str = "briskk-sku-template.xlsx") -> Path:
    """The real template with its example ids renamed (`RENAMED`), written to `directory`."""
    pattern = re.compile("|".join(map(re.escape, RENAMED)).encode())
    source = zipfile.ZipFile(REAL_TEMPLATE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = pattern.sub(lambda m: RENAMED[m.group().decode()].encode(), data)
            target.writestr(item, data)
    path = directory / name
    path.write_bytes(buffer.getvalue())
    return path
