"""Values outside their column's vocabulary: a warning per distinct value, or a problem where the
tenant makes the column strict (issue 22, item 3).

A value is in the vocabulary when `vocabulary.Vocabulary.match` finds it (list columns), when
it has a colour family (`colors.color_family`) or a size system (`sizes.read_size`). Blank
cells are not checked (whether a column is required is the schema's business).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from briskk_pipeline.validation.report import Problem
from briskk_pipeline.vocab.colors import color_family, nearest_colors
from briskk_pipeline.vocab.sizes import nearest_sizes, read_size
from briskk_pipeline.vocab.vocabulary import COLUMNS, LIST_COLUMNS, key, vocabulary

ROWS_NAMED: Final = 10  # rows a warning lists before "and N more"
# distinct values of a column warned about one by one; the rest are one warning (a file of
# 100k distinct colours took 57 s and gave 100k warnings)
VALUES_NAMED: Final = 20

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
    once per distinct value per column (values differing only in case, spaces or punctuation
    are one value); past `VALUES_NAMED` distinct values the rest of a column are one warning.
    In a column of `strict_columns` it is a problem instead,
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
        cells = frame[column].dropna().astype(str)
        cells = cells[cells.str.strip() != ""]
        # each distinct value is judged once; values alike but for case, spaces and
        # punctuation ("Blu", "blu ") are one finding, under the first spelling met
        outside = {
            value: key(value) or value
            for value in pd.unique(cells.to_numpy())
            if not allowed(str(value))
        }
        if not outside:
            continue
        bad = cells[cells.isin(list(outside))]
        # groups as integer codes in order of first row: 100k distinct values as pandas groups
        # took seconds
        codes, _ = pd.factorize(bad.map(outside))
        rows_of = bad.index.to_numpy()
        values = bad.to_numpy()
        _, firsts = np.unique(codes, return_index=True)
        named = min(len(firsts), VALUES_NAMED)
        closest = [
            ", ".join(f"'{n}'" for n in nearest(str(values[firsts[c]]))) for c in range(named)
        ]
        if column in strict_columns:
            findings.problems.extend(
                _strict_problems(
                    frame, column, bad, codes, [f"{what}; closest: {c}" for c in closest], what
                )
            )
            continue
        for code in range(named):
            rows = [int(r) for r in rows_of[codes == code]]
            findings.warnings.append(
                Problem(
                    row=rows[0],
                    column=column,
                    value=str(values[firsts[code]]),
                    message=f"{what} ({_rows_text(rows)}); closest allowed values: "
                    f"{closest[code]}. The value is kept as written",
                )
            )
        if len(firsts) > named:
            rows = [int(r) for r in rows_of[codes >= named]]
            findings.warnings.append(
                Problem(
                    row=rows[0],
                    column=column,
                    value=None,
                    message=f"{len(firsts) - named:,} more values of {column} are outside its "
                    f"vocabulary ({_rows_text(rows)}); they are kept as written",
                )
            )
    return findings


def _strict_problems(
    frame: pd.DataFrame,
    column: str,
    bad: pd.Series,
    codes: npt.NDArray[np.intp],
    named: list[str],
    unnamed: str,
) -> list[Problem]:
    """One problem per value (`codes`) and product, at the product's first row with it; a row
    without product_id gets its own. `named[code]` is the message of the first values, `unnamed`
    that of the rest."""
    owners = (
        frame.loc[bad.index, "product_id"].to_numpy()
        if "product_id" in frame.columns
        else np.full(len(bad), None)
    )
    seen: set[tuple[int, str]] = set()
    problems: list[Problem] = []
    for row, code, value, owner in zip(
        bad.index.tolist(), codes.tolist(), bad.tolist(), owners.tolist(), strict=True
    ):
        if owner is not None and not pd.isna(owner):
            if (code, str(owner)) in seen:
                continue
            seen.add((code, str(owner)))
        why = named[code] if code < len(named) else unnamed
        problems.append(
            Problem(
                row=int(row),
                column=column,
                value=str(value),
                message=f"{why}. Your brand profile requires {column} from its vocabulary",
            )
        )
    return problems


def _rows_text(rows: list[int]) -> str:
    """`[2]` -> `row 2`; `[2, 3, 9]` -> `rows 2, 3, 9`; past `ROWS_NAMED` rows, `… and N more`."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:ROWS_NAMED])
    more = len(rows) - ROWS_NAMED
    return f"rows {shown}" + (f" and {more} more" if more > 0 else "")
