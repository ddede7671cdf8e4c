"""Value maps: a brand's own words for a column's values, replaced by the words it asked for.

Applied in validation before any check (`validation/assets.py`), so a mapped value is checked
(and later held to a vocabulary) as the value it became. Each distinct value replaced is one
warning for its column, naming every row it was on and the profile version whose map did it
(`mapped 'Navy Blue' → 'Navy' by profile v3`), so the upload's record says which mapping
produced a value. Cells compare by `model.value_key` (case, spacing and width ignored); a
cell that already is the target value is left alone and not reported.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from briskk_pipeline.profiles.model import Profile, value_key
from briskk_pipeline.validation.report import Problem

SHOWN_ROWS: Final = 20  # rows a warning names; the rest are counted


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
    more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
    return f"row{'s' if len(rows) != 1 else ''} {shown}{more}"


def apply_value_maps(frame: pd.DataFrame, profile: Profile) -> tuple[pd.DataFrame, list[Problem]]:
    """`frame` (template columns of text, indexed by Excel row) with the profile's value maps
    applied, and one warning `Problem` per (column, distinct value) replaced: `row` its first
    row, `value` the brand's value, the message naming the value loaded, the profile version
    and every row. The input frame is not changed."""
    warnings: list[Problem] = []
    changed: dict[str, pd.Series] = {}
    for column in sorted(profile.value_maps):
        if column not in frame.columns:
            continue
        mapping = profile.value_map(column)
        cells = frame[column]
        present = cells.dropna()
        replace: dict[str, str] = {}
        for value in present.unique():
            target = mapping.get(value_key(value))
            if target is not None and target != value:
                replace[str(value)] = target
        if not replace:
            continue
        hits = present[present.isin(list(replace))]
        for value, target in replace.items():
            rows = [int(r) for r in hits.index[hits == value]]
            warnings.append(
                Problem(
                    row=rows[0],
                    column=column,
                    value=value,
                    message=f"mapped '{value}' → '{target}' by profile v{profile.version} "
                    f"({_rows_text(rows)})",
                )
            )
        changed[column] = cells.where(~cells.isin(list(replace)), cells.map(replace))
    if not changed:
        return frame, []
    result = frame.copy()
    for column, series in changed.items():
        result[column] = series.astype(frame[column].dtype)
    return result, sorted(warnings, key=lambda p: (p.column or "", p.row or 0))
