"""The Open Packaging Conventions parts an .xlsx/.xlsm (Transitional or Strict) and an .xlsb
share: the workbook's relationships and the part names they point to (ECMA-376 Part 2 §9,
§6.5: a relationship's `Target` is relative to its source part's folder, `xl/`, unless it
starts with `/`). Parsed with defusedxml (no DTDs or entity expansion)."""

from __future__ import annotations

import posixpath
import zipfile
from typing import Final

from defusedxml import ElementTree

NS_PKG_REL: Final = "http://schemas.openxmlformats.org/package/2006/relationships"


def relationship_targets(package: zipfile.ZipFile, rels_part: str) -> dict[str, str]:
    """Relationship id -> its `Target` in the package's part `rels_part` (e.g.
    `xl/_rels/workbook.xml.rels`). Raises KeyError when the package has no such part."""
    rels = ElementTree.fromstring(package.read(rels_part))
    return {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}


def workbook_part(target: str) -> str:
    """The part name a workbook relationship's `target` names: `/xl/x.xml` as written, a
    relative `worksheets/sheet1.xml` under `xl/` (`..` and `.` resolved)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join("xl", target))
