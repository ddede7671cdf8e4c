"""Values outside their column's vocabulary: a warning per distinct value, or a problem where the
tenant makes the column strict (issue 22, item 3).

A value is in the vocabulary when `vocabulary.Vocabulary.match` finds it (list columns), when
it has a colour family (`colors.color_family`) or a size system (`sizes.read_size`). Blank
cells are not checked (whether a column is required is the schema's business).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from briskk_pipeline.validation.report import Problem
from briskk_pipeline.vocab.colors import color_family, nearest_colors
from briskk_pipeline.vocab.sizes import nearest_sizes, read_size
from briskk_pipeline.vocab.vocabulary import COLUMNS, LIST_COLUMNS, vocabulary

ROWS_NAMED: Final = 10  # rows a warning lists before "and N more"

# column -> (is the value in the vocabulary, its nearest allowed values, what it is not in)
_Rule = tuple[Callable[[str], bool], Callable[[str], list[str]], str]


@dataclass
class VocabularyFindings:
    """`warnings`: one per distinct value outside its column's vocabulary (the rows load);
    `problems`: for strict columns, one per such value and product (the product is rejected).
    Both are `validation.report.Problem`s, by Excel row and column."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _rules() -> dict[str, _Rule]:
    rules: dict[str, _Rule] = {
        "color": (
            lambda v: color_family(v) is not None,
            nearest_colors,
            "has no colour family in the colour vocabulary",
        ),
        "size": (
            lambda v: read_size(v) is not None,
            nearest_sizes,
            "is in none of the size systems (letter sizes, numbers, UK/EU/US… sizes, ages)",
        ),
    }
    for column in LIST_COLUMNS:
        vocab = vocabulary(column)
        rules[column] = (
            lambda v, vocab=vocab: vocab.match(v) is not None,  # type: ignore[misc]
            vocab.nearest,
            f"is not in the {column} vocabulary",
        )
    return rules


def check_vocabularies(
    frame: pd.DataFrame, *, strict_columns: frozenset[str]
) -> VocabularyFindings:
    """Check every vocabulary column of `frame` (template columns, indexed by Excel row).

    A value outside its vocabulary is a warning naming the closest allowed values and its rows,
    once per distinct value per column; in a column of `strict_columns` it is a problem instead,
    once per value per product (at the product's first row with it), so the product is
    rejected (SPEC §2: a product with any bad row is rejected whole). Columns `frame` lacks are
    skipped. Raises `ValueError` for a strict column that has no vocabulary.
    """
    unknown = set(strict_columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"no vocabulary for strict columns {sorted(unknown)}")
    findings = VocabularyFindings()
    rules = _rules()
    for column in COLUMNS:
        if column not in frame.columns:
            continue
        allowed, nearest, what = rules[column]
        cells = frame[column].dropna()
        cells = cells[cells.astype(str).str.strip() != ""]
        for value in pd.unique(cells.to_numpy()):
            text = str(value)
            if allowed(text):
                continue
            rows = [int(r) for r in cells.index[(cells == value).to_numpy()]]
            hint = ", ".join(f"'{n}'" for n in nearest(text))
            if column in strict_columns:
                findings.problems.extend(
                    _strict_problems(frame, column, text, rows, f"{what}; closest: {hint}")
                )
            else:
                findings.warnings.append(
                    Problem(
                        row=rows[0],
                        column=column,
                        value=text,
                        message=f"{what} ({_rows_text(rows)}); closest allowed values: {hint}. "
                        "The value is kept as written",
                    )
                )
    return findings


def _strict_problems(
    frame: pd.DataFrame, column: str, value: str, rows: list[int], why: str
) -> Iterable[Problem]:
    """One problem per product having `value` in `column`, at its first row with it (rows
    without product_id each get one)."""
    seen: set[str] = set()
    owners = frame["product_id"] if "product_id" in frame.columns else None
    for row in rows:
        owner = None if owners is None else owners.get(row)
        product = None if owner is None or pd.isna(owner) else str(owner)
        if product is not None and product in seen:
            continue
        if product is not None:
            seen.add(product)
        yield Problem(
            row=row,
            column=column,
            value=value,
            message=f"{why}. Your brand profile requires {column} from its vocabulary",
        )


def _rows_text(rows: list[int]) -> str:
    """`[2]` -> `row 2`; `[2, 3, 9]` -> `rows 2, 3, 9`; past `ROWS_NAMED` rows, `… and N more`."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:ROWS_NAMED])
    more = len(rows) - ROWS_NAMED
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "")
