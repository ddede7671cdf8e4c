"""Values that look the same but are not: invisible characters and leading zeros lost.

Two kinds of look-alike a brand cannot see on screen (the letter-case look-alike of sku_ids,
`rules.case_only_sku_warnings`, is the model):

- **Invisible characters in product-level text** (product_name, description, category, image
  URLs, ...): a product's rows must agree on these, and `Linen\\u00a0Kurta` (a no-break space
  pasted from a web page) looks exactly like `Linen Kurta`. Rows are compared after
  `visible_form` (no-break spaces read as spaces, other invisible characters — zero-width
  spaces and joiners, byte order marks, soft hyphens: `characters.is_invisible` — removed), so
  such rows agree; each row whose cell differs from its product's first row only that way gets
  a warning naming the character and where it is. The product's value is its first row's, as
  sent. (Identifiers lose invisible characters in cleaning, with their own warning.)
- **Leading zeros** in product_id, sku_id and barcode: `12345678905` and `0012345678905` are
  the same digits once Excel drops the zeros of a number typed in a General column. A value
  made only of digits whose form without leading zeros is another value's — on another row of
  the file, or in the tenant's catalog — gets a warning naming the other spelling. The rows
  still load as the identifiers they spell (the brand decides which is right).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np
import pandas as pd

from briskk_pipeline import characters
from briskk_pipeline.template import BY_NAME, PRODUCT_COLUMNS, Kind
from briskk_pipeline.validation.membership import text_isin
from briskk_pipeline.validation.report import Problem

ZERO_COLUMNS: Final = ("product_id", "sku_id", "barcode")
# Product-level columns kept as the brand wrote them (identifiers are cleaned already).
TEXT_PRODUCT_COLUMNS: Final = tuple(
    c for c in PRODUCT_COLUMNS if BY_NAME[c].kind in (Kind.TEXT, Kind.URL)
)
_NO_BREAK: Final = str.maketrans(dict.fromkeys(("\u00a0", "\u2007", "\u202f"), " "))


def visible_form(text: str) -> str:
    """`text` as it looks: no-break spaces as spaces, other invisible characters removed."""
    return characters.remove_invisible(text.translate(_NO_BREAK))


def _non_ascii(column: pd.Series) -> np.ndarray:
    return np.asarray(column.notna() & ~column.str.isascii().fillna(True), dtype=bool)


def comparable(typed: pd.DataFrame) -> pd.DataFrame:
    """`typed` with its product-level text in `visible_form`, for comparing a product's rows
    (`rules.conflicting_product_fields`); `typed` itself when no such cell is non-ASCII."""
    changed: dict[str, pd.Series] = {}
    for column in TEXT_PRODUCT_COLUMNS:
        cells = typed[column]
        foreign = _non_ascii(cells)
        if foreign.any():
            seen = [visible_form(str(v)) for v in cells[foreign]]
            changed[column] = cells.mask(
                foreign, pd.Series(seen, index=cells.index[foreign], dtype="str")
            )
    return typed.assign(**changed) if changed else typed


def _where_invisible(text: str) -> str:
    """`'Linen\\u00a0Kurta'` -> `'no-break space at character 6'` (1-based positions)."""
    places: dict[str, list[int]] = {}
    for position, char in enumerate(text, start=1):
        if characters.is_invisible(char):
            places.setdefault(char, []).append(position)
    return "; ".join(
        f"{characters.describe(char)} at character{'s' if len(at) > 1 else ''} "
        + ", ".join(map(str, at))
        for char, at in places.items()
    )


def invisible_product_warnings(typed: pd.DataFrame) -> list[Problem]:
    """A warning for each product-level cell that differs from its product's first row only by
    invisible characters (the rows are read as agreeing: see the module docstring)."""
    keyed = typed[typed["product_id"].notna()]
    if keyed.empty:
        return []
    first = ~keyed["product_id"].duplicated().to_numpy()
    problems: list[Problem] = []
    for column in TEXT_PRODUCT_COLUMNS:
        cells = keyed[column]
        if not _non_ascii(cells).any():
            continue
        firsts = pd.Series(cells.to_numpy()[first], index=keyed["product_id"].to_numpy()[first])
        first_rows = pd.Series(keyed.index[first], index=firsts.index)
        theirs = keyed["product_id"].map(firsts)
        differs = (cells != theirs).fillna(False).to_numpy(dtype=bool)
        for row in keyed.index[differs]:
            mine, other = str(cells.at[row]), str(theirs.at[row])
            if visible_form(mine) != visible_form(other):
                continue
            odd, where = (mine, "this cell") if _where_invisible(mine) else (other, "that cell")
            product = keyed.at[row, "product_id"]
            problems.append(
                Problem(
                    row=int(row),
                    column=column,
                    value=characters.show_invisible(mine),
                    message=f"looks the same as row {int(first_rows[product])} of product "
                    f"'{product}' ('{characters.show_invisible(other)}') but differs by an "
                    f"invisible character ({_where_invisible(odd)}, in {where}): read as the "
                    "same value; retype the text to remove it",
                )
            )
    return problems


def _digits(typed: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows whose `column` is all digits (not all zeros), with its form without leading zeros."""
    cells = typed[column]
    digits = np.asarray(cells.str.fullmatch(r"[0-9]*[1-9][0-9]*").fillna(False), dtype=bool)
    found = typed.loc[digits, [column]]
    return found.assign(_form=found[column].str.lstrip("0"))


def zero_forms(typed: pd.DataFrame) -> dict[str, list[str]]:
    """Column -> the forms without leading zeros of its all-digit values (for the catalog)."""
    forms = {c: _digits(typed, c)["_form"].unique().tolist() for c in ZERO_COLUMNS}
    return {c: f for c, f in forms.items() if f}


def leading_zero_warnings(
    typed: pd.DataFrame, catalog: Mapping[str, Iterable[str]] | None = None
) -> list[Problem]:
    """Warnings for identifiers equal to another but for leading zeros, in the file or against
    `catalog` (column -> the tenant's catalog values with a matching form: see
    `catalog.lookalikes.digits_without_leading_zeros`). One warning per cell, naming every
    other spelling."""
    catalog = catalog or {}
    problems: list[Problem] = []
    for column in ZERO_COLUMNS:
        found = _digits(typed, column)
        if found.empty:
            continue
        spelled = set(found[column])
        known: dict[str, set[str]] = {}
        for value in catalog.get(column, ()):
            if value not in spelled:
                known.setdefault(value.lstrip("0"), set()).add(value)
        repeated = found["_form"].duplicated(keep=False).to_numpy()
        variants = np.zeros(len(found), dtype=bool)
        if repeated.any():
            twice = found[repeated]
            variants[repeated] = (
                twice.groupby("_form", sort=False)[column].transform("nunique") > 1
            ).to_numpy()
        variants |= text_isin(found["_form"], known)
        flagged = found[variants]
        rows_by_form: dict[str, list[tuple[int, str]]] = {}
        for row, value, form in zip(
            flagged.index.tolist(),
            flagged[column].tolist(),
            flagged["_form"].tolist(),
            strict=True,
        ):
            rows_by_form.setdefault(form, []).append((int(row), value))
        for form, members in rows_by_form.items():
            for row, value in members:
                others = [f"'{v}' (row {r})" for r, v in members if v != value][:5]
                others += [f"'{v}' (in your catalog)" for v in sorted(known.get(form, ()))][:5]
                if not others:
                    continue
                problems.append(
                    Problem(
                        row=row,
                        column=column,
                        value=value,
                        message=f"differs only by leading zeros from {', '.join(others)}: "
                        "Excel drops the zeros of a number typed in a General column; if they "
                        f"are the same, format the {column} column as Text and type the zeros "
                        "again (they are loaded as different values)",
                    )
                )
    return problems
