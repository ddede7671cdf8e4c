"""Error values a spreadsheet cell can show instead of a value, and how a brand is told.

The same message for every format: an xlsx/xls error cell (calamine's kinds, `excel_cells.py`),
an .ods error cell (`calcext:value-type="error"`, `structure.py`) and a CSV cell whose text is
an error value Excel wrote (`csv_cells.py`). Sources: Microsoft support's pages on each error
value ("How to correct a #N/A error", ... "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
"#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!") and LibreOffice Help "Error Codes in
LibreOffice Calc" (`Err:501`-`Err:539`, shown as `Err:NNN`).
"""

from __future__ import annotations

import re
from typing import Final

# What the cell shows -> what it means, in plain words.
ERRORS: Final[dict[str, str]] = {
    "#N/A": "a lookup formula found no match",
    "#VALUE!": "a formula used the wrong kind of value",
    "#REF!": "a formula points to a cell that was deleted",
    "#DIV/0!": "a formula divides by zero",
    "#NAME?": "a formula uses a name Excel does not know",
    "#NUM!": "a formula gives an impossible number",
    "#NULL!": "a formula refers to ranges that do not meet",
    "#GETTING_DATA": "the cell was still loading data",
    "#SPILL!": "a formula's results would overwrite other cells",
    "#CALC!": "a formula could not be calculated",
    "#FIELD!": "a formula refers to a data field that does not exist",
    "#BLOCKED!": "a formula needs something Excel blocked",
    "#CONNECT!": "a formula could not reach its data source",
    "#BUSY!": "the cell was still calculating",
    "#UNKNOWN!": "a formula uses a kind of data this Excel does not know",
    "#PYTHON!": "a Python formula failed",
}
LIBREOFFICE_ERROR: Final = re.compile(r"Err:\d{3}")
# A whole cell's text that is an error value (for Arrow's regex kernels: no groups).
ERROR_TEXT_RE: Final = "^(?:" + "|".join(re.escape(e) for e in ERRORS) + r"|Err:\d{3})$"


def error_message(shown: str) -> str:
    """The message of a cell showing error value `shown` (`#N/A`, `Err:502`)."""
    if LIBREOFFICE_ERROR.fullmatch(shown):
        return (
            f"the cell shows the LibreOffice error {shown} (a formula could not be calculated) "
            "instead of a value: fix the formula or type the value"
        )
    meaning = ERRORS.get(shown, "an error")
    return (
        f"the cell shows the Excel error {shown} ({meaning}) instead of a value: "
        "fix the formula or type the value"
    )
