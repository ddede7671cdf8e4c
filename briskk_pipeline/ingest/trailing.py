"""Rows below the last product that are not data: what dragging defaults down leaves behind.

Brands prepare a sheet by filling a column's default down to row 1000 or 10000 (a facility id
and name, `FALSE` in is_disabled, the brand's name) or dragging a formula that shows `#N/A` or
`""` on empty rows. Those rows hold no product, and reading them as products would cost the
row limit and report "required but empty" by the thousand. The rule:

- The data ends at the last row holding a **key**: product_id, sku_id or barcode (a row with
  any of them is a product's row, complete or not, and is always read).
- A row below it is **not data** when it holds no key and each of its other cells is a
  *default*: a value the same column holds on a data row (copied or dragged down), the value
  of the cell right above it (dragged down from there), the next value of an Excel fill series
  of the cell above (`fac001` -> `fac002`, `7` -> `8`: what dragging one cell ending in a
  number makes), a false value in is_disabled (`FALSE`, `0`, `no`: the default the template's
  own rows use), or a cell the reader already reported (an error value or a formula without a
  value, as dragged formulas show).
- Any other value (a new product name, a price, a size not seen above) makes the row data: it
  stays, and its missing keys are reported as for any row. A value typed once below the data
  and dragged down makes its first row data (reported) and the copies below it not data.

The rows that are not data are removed before the row limit is counted, with one warning
naming their span(s); the reader's problems for their cells go with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from briskk_pipeline.validation.membership import text_isin

KEY_COLUMNS: Final = ("product_id", "sku_id", "barcode")
_FALSE_WORDS: Final = frozenset({"false", "no", "n", "0", "0.0"})
_SERIES_RE: Final = re.compile(r"^(.*?)(\d+)$")


def _continues_series(values: list[object], previous: list[object]) -> npt.NDArray[np.bool_]:
    """True where `values[i]` is `previous[i]` with its trailing number one higher, digits
    padded as Excel pads them (`fac009` -> `fac010`, `A-99` -> `A-100`)."""
    out = np.zeros(len(values), dtype=bool)
    for i, (value, before) in enumerate(zip(values, previous, strict=True)):
        if not isinstance(value, str) or not isinstance(before, str):
            continue
        now, then = _SERIES_RE.match(value), _SERIES_RE.match(before)
        if now and then and now.group(1) == then.group(1):
            number = int(then.group(2)) + 1
            out[i] = now.group(2) == str(number).zfill(len(then.group(2)))
    return out


def not_data_rows(
    frame: pd.DataFrame, reported: Iterable[tuple[int | None, str | None]] = ()
) -> npt.NDArray[np.bool_]:
    """A mask over `frame` (a `RawSheet` frame indexed by Excel row) of the rows that are not
    data by the rule in this module's docstring. `reported`: (row, column) cells the reader
    already has a problem for."""
    mask = np.zeros(len(frame), dtype=bool)
    keyed = frame[list(KEY_COLUMNS)].notna().any(axis=1).to_numpy()
    last = int(np.flatnonzero(keyed)[-1]) if keyed.any() else -1
    if last + 1 >= len(frame):
        return mask
    tail = frame.iloc[last + 1 :]
    explained = tail.isna().to_numpy()
    by_column: dict[str, list[int]] = {}
    for row, column in reported:
        if row is not None and column is not None:
            by_column.setdefault(column, []).append(row)
    for j, column in enumerate(frame.columns):
        if explained[:, j].all():
            continue
        values = tail[column]
        ok = explained[:, j] | text_isin(values, frame[column].iloc[: last + 1].dropna().unique())
        # the cell above each row: the last data row's for the first one (none if no data row)
        above = frame[column].iloc[max(last, 0) : len(frame) - 1].tolist()
        if last < 0:
            above = [None, *above]
        previous = pd.Series(above, index=values.index, dtype="str")
        ok |= (values == previous).fillna(False).to_numpy(dtype=bool)
        if column == "is_disabled":
            ok |= values.str.lower().isin(_FALSE_WORDS).to_numpy(dtype=bool, na_value=False)
        if column in by_column:
            ok |= np.isin(tail.index.to_numpy(), by_column[column])
        pending = np.flatnonzero(~ok)
        if pending.size:
            ok[pending] = _continues_series(
                [values.iloc[i] for i in pending], [above[i] for i in pending]
            )
        explained[:, j] = ok
    mask[last + 1 :] = explained.all(axis=1)
    return mask


def spans(rows: list[int]) -> str:
    """`[3, 4, 5, 9]` -> `'3-5, 9'` (rows ascending)."""
    parts: list[str] = []
    start = previous = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if row is not None:
            start = previous = row
    return ", ".join(parts)


def not_data_warning(frame: pd.DataFrame, rows: list[int]) -> str:
    """The one warning naming the ignored rows (Excel numbers) and what they held."""
    held = [c for c in frame.columns if frame.loc[rows, c].notna().any()]
    what = f" (in {', '.join(held)})" if held else ""
    one = len(rows) == 1
    return (
        f"{'row' if one else 'rows'} {spans(rows)} below the last product "
        f"{'holds' if one else 'hold'} no product_id, sku_id or barcode, only values repeated "
        f"from the rows above{what}: {'it is' if one else 'they are'} not products and "
        f"{'was' if one else 'were'} ignored"
    )
