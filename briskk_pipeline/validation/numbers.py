"""Reading numbers as people type them: grouping, decimal commas, rupee signs, Unicode digits.

Input is one `raw_sheet` column (trimmed text or NA, indexed by Excel row); output is the exact
decimal text PostgreSQL gets (`"1299.50"`, never a float) and a message for every cell that
cannot be read with certainty. The rule (README "Upload rules in brief"):

- Unicode digits (full-width, Arabic-Indic, Devanagari, ...) are their ASCII digits; no-break
  and thin spaces are spaces; other invisible characters are dropped (`characters.number_text`).
- Prices may carry a rupee marker before or after the number: `₹`, `Rs`, `Rs.`, `INR`, and a
  trailing `/-` ("Rs. 499/-"). Another currency's sign is a problem (nothing is converted).
- With both `.` and `,`, the last one is the decimal separator and the other must group the
  whole part: in threes (`1,299.00`, `1.299,00`, `1 299,50`), or for commas also the Indian
  way, 2-2-3 (`1,29,999.00`). A separator used more than once groups (`1,000,000`,
  `1.000.000`, `1,29,999`). A space groups in threes.
- A single `.` or `,` is the decimal separator (`1299,50`, `1299.5`) unless it is followed by
  exactly three digits after one to three leading digits (`1.000`, `1,000`, `12,500`): that form
  is ambiguous, and each column's `NumberRule` says how it reads — see `MONEY`, `STOCK`,
  `MEASURE`. An ambiguous cell is a problem that shows both readings and how to write each.

Whatever the form, the digits are never moved: the only readings are "this separator groups"
or "this separator is the decimal point", and a form that allows both is read one way only
where the other is implausible for the column, so no value is silently scaled by 10 or more.

Speed: two pyarrow regex passes per column on every cell (the plain `1299.50` form), the rest
only on the few cells that are not plain; Python runs only on cells that hold non-ASCII text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from briskk_pipeline import characters


class LoneSeparator(StrEnum):
    """How a column reads one `.` or `,` followed by exactly three digits (`1.000`)."""

    THOUSANDS = "thousands"  # 1,000 = 1000
    DECIMAL = "decimal"  # 38.125 = 38.125
    AMBIGUOUS = "ambiguous"  # a problem: the brand must say which


@dataclass(frozen=True)
class NumberRule:
    """How one kind of column reads numbers.

    `lone_dot` / `lone_comma`: the reading of `1.000` / `1,000` (a `THOUSANDS` comma becomes
    `AMBIGUOUS` in a column that writes decimal commas or dot grouping anywhere else in the
    file). `currency`: rupee markers are allowed. `whole`: the value must be an integer.
    `example`: the number shown in the "must be a number, like ..." message.
    """

    lone_dot: LoneSeparator
    lone_comma: LoneSeparator
    currency: bool
    whole: bool
    example: str


# Prices: "1,299" is how prices are written in India and in English, and money has two decimal
# places, so "1,000" is a thousand; "1.000" is a thousand in European writing and one in
# English writing (a price exported with three decimals, "499.000"): both plausible.
MONEY = NumberRule(
    lone_dot=LoneSeparator.AMBIGUOUS,
    lone_comma=LoneSeparator.THOUSANDS,
    currency=True,
    whole=False,
    example="1299.00",
)
# Stock counts units: the same reading as prices ("1,000" units; "1.000" is 1 or 1000).
STOCK = NumberRule(
    lone_dot=LoneSeparator.AMBIGUOUS,
    lone_comma=LoneSeparator.THOUSANDS,
    currency=False,
    whole=True,
    example="25",
)
# Body measurements in inches are far below a thousand and often come in eighths (38.125), so
# a lone separator is always the decimal point: "38.125" and "38,125" are 38.125.
MEASURE = NumberRule(
    lone_dot=LoneSeparator.DECIMAL,
    lone_comma=LoneSeparator.DECIMAL,
    currency=False,
    whole=False,
    example="38.5",
)

# Patterns say [0-9], never \d or \s: pandas runs those through Python's `re` cell by cell
# (whose \d also matches Arabic-Indic digits), while these stay in pyarrow's RE2.
# The only form most cells take (what Excel number cells become): no rewriting needed.
_CANONICAL = r"-?[0-9]+(?:\.[0-9]+)?"
_LONE_DOT = r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}"
_LONE_COMMA = r"[+-]?[1-9][0-9]{0,2},[0-9]{3}"
_PLAIN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
_COMMA_DECIMAL = r"[+-]?[0-9]*,[0-9]+"
# Whole part grouped by commas in threes, or the Indian way (lakh, crore: 12,34,56,789).
_COMMA_GROUPED = (
    r"[+-]?(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]?(?:,[0-9][0-9])+,[0-9]{3})(?:\.[0-9]*)?"
)
_DOT_GROUPED = r"[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]+)?"
_SPACE_GROUPED = r"[+-]?[1-9][0-9]{0,2}(?: [0-9]{3})+(?:[.,][0-9]+)?"
# Only digits and separators: the layout is what is wrong.
_SEPARATORS_ONLY = re.compile(r"[+-]?[0-9., ]*[0-9][0-9., ]*")
_RUPEE_BEFORE = r"(?i)^(?:₹|rs\.?|inr)[ \t]*"
_RUPEE_AFTER = r"(?i)[ \t]*(?:/-|₹|rs\.?|inr)$"
_OTHER_CURRENCY = re.compile(r"[$€£¥]|\b(?:usd|eur|gbp|aed)\b", re.IGNORECASE)
_WHOLE = r"-?[0-9]+(?:\.0*)?"


@dataclass
class ReadNumbers:
    """`exact`: decimal text per cell (NA for blank or unreadable); `problems`: row -> message."""

    exact: pd.Series
    problems: dict[int, str]


def read_numbers(raw: pd.Series, rule: NumberRule) -> ReadNumbers:
    """Read one column of typed numbers by `rule` (see the module docstring).

    `raw`: text or NA, indexed by Excel row. The result's `exact` has the same index and str
    dtype: canonical decimal text (`"1299.50"`, `"-0.5"`, `"1000"`), the fraction kept as
    written. A cell in `problems` is NA in `exact`.
    """
    present = raw.notna().to_numpy()
    fast = raw.str.fullmatch(_CANONICAL).to_numpy()
    if rule.lone_dot is not LoneSeparator.DECIMAL:
        fast = fast & ~raw.str.fullmatch(_LONE_DOT).to_numpy()
    slow = present & ~fast
    exact = raw.where(fast)
    problems: dict[int, str] = {}
    if slow.any():
        others, problems = _read_forms(raw[slow], rule)
        exact = exact.mask(slow, others)
    if rule.whole:
        not_whole = exact.notna().to_numpy() & ~exact.str.fullmatch(_WHOLE).to_numpy()
        for row in exact.index[not_whole]:
            problems[int(row)] = f"must be a whole number, like {rule.example}"
        exact = exact.where(~not_whole).str.replace(r"\.0*$", "", regex=True)
    return ReadNumbers(exact=exact, problems=problems)


def to_float(exact: pd.Series) -> pd.Series:
    """`read_numbers(...).exact` as float64 (NaN for NA), for the schema checks.

    pyarrow's cast, 30x faster than `pd.to_numeric` on strings; `exact` holds only canonical
    decimal text, which the cast always accepts.
    """
    values = pc.cast(pa.array(exact.array), pa.float64()).to_numpy(zero_copy_only=False)
    return pd.Series(np.asarray(values, dtype="float64"), index=exact.index, name=exact.name)


def _ascii(raw: pd.Series) -> pd.Series:
    """Non-ASCII cells through `characters.number_text` (Python, on those cells only)."""
    foreign = raw.notna().to_numpy() & ~raw.str.isascii().to_numpy()
    if not foreign.any():
        return raw
    mapped = [characters.number_text(value) for value in raw[foreign]]
    return raw.mask(foreign, pd.Series(mapped, index=raw.index[foreign], dtype="str"))


def _read_forms(raw: pd.Series, rule: NumberRule) -> tuple[pd.Series, dict[int, str]]:
    """Every form but the canonical one, on the (few) cells that need it."""
    text = raw
    if rule.currency:  # before the non-ASCII pass, so "₹1,299" needs no Python
        text = text.str.replace(_RUPEE_BEFORE, "", regex=True)
        text = text.str.replace(_RUPEE_AFTER, "", regex=True)
    text = _ascii(text).str.strip()
    if rule.currency:  # a marker written with a no-break space: "₹\u00a0499"
        text = text.str.replace(_RUPEE_BEFORE, "", regex=True)
        text = text.str.replace(_RUPEE_AFTER, "", regex=True)

    lone_dot = text.str.fullmatch(_LONE_DOT)
    lone_comma = text.str.fullmatch(_LONE_COMMA)
    has_comma = text.str.contains(",", regex=False)
    comma_grouped = text.str.fullmatch(_COMMA_GROUPED) & ~lone_comma
    dot_grouped = text.str.fullmatch(_DOT_GROUPED) & ~lone_dot
    space_grouped = text.str.fullmatch(_SPACE_GROUPED)
    comma_decimal = text.str.fullmatch(_COMMA_DECIMAL) & ~lone_comma
    plain = text.str.fullmatch(_PLAIN) & ~lone_dot

    comma_reading = rule.lone_comma
    european = comma_decimal | dot_grouped | (space_grouped & has_comma)
    if comma_reading is LoneSeparator.THOUSANDS and european.any():
        comma_reading = LoneSeparator.AMBIGUOUS  # this column writes the European way
    if comma_reading is LoneSeparator.THOUSANDS:
        comma_grouped |= lone_comma
    elif comma_reading is LoneSeparator.DECIMAL:
        comma_decimal |= lone_comma
    if rule.lone_dot is LoneSeparator.DECIMAL:
        plain |= lone_dot
    ambiguous = (lone_dot & (rule.lone_dot is LoneSeparator.AMBIGUOUS)) | (
        lone_comma & (comma_reading is LoneSeparator.AMBIGUOUS)
    )
    ok = comma_grouped | dot_grouped | space_grouped | comma_decimal | plain

    exact = text.mask(dot_grouped, text.str.replace(".", "", regex=False))
    exact = exact.mask(comma_grouped, exact.str.replace(",", "", regex=False))
    exact = exact.str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
    exact = _canonical_decimal(exact.where(ok))

    problems: dict[int, str] = {}
    for row in text.index[ambiguous.to_numpy()]:
        problems[int(row)] = _ambiguous_message(str(text[row]))
    for row in text.index[(~ok & ~ambiguous).to_numpy()]:
        problems[int(row)] = _not_a_number_message(str(text[row]), str(raw[row]), rule)
    return exact, problems


def _canonical_decimal(text: pd.Series) -> pd.Series:
    """'+5' -> '5', '.5' -> '0.5', '12.' -> '12': the exact value, as PostgreSQL reads it."""
    text = text.str.replace(r"^\+", "", regex=True)
    # Two replacements without group references: pandas hands those to pyarrow, while a
    # `\g<1>` replacement falls back to Python's `re` row by row (10x slower).
    text = text.str.replace(r"^\.", "0.", regex=True)
    text = text.str.replace(r"^-\.", "-0.", regex=True)
    return text.str.replace(r"\.$", "", regex=True)


def _ambiguous_message(text: str) -> str:
    """`'1.000'` -> 'could mean 1000 or 1; write 1000 for the first or 1 for the second'."""
    sign = "-" if text.startswith("-") else ""
    digits = text.lstrip("+-")
    whole, fraction = digits[:-4], digits[-3:]
    grouped = f"{sign}{whole}{fraction}"
    fraction = fraction.rstrip("0")
    decimal = f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"
    return (
        f"could mean {grouped} or {decimal}: write {grouped} without a thousands separator, "
        f"or {decimal}"
    )


def _not_a_number_message(text: str, raw: str, rule: NumberRule) -> str:
    kind = "whole number" if rule.whole else "number"
    message = f"must be a {kind}, like {rule.example}"
    if rule.currency and _OTHER_CURRENCY.search(raw):
        return f"{message}, in rupees (₹, Rs. and INR are understood; no other currency)"
    if any(sep in text for sep in ",. ") and _SEPARATORS_ONLY.fullmatch(text):
        return (
            f"{message}; its separators fit no number format (write 1299.50, 1,299.50, "
            "1,29,999.50 or 1.299,50)"
        )
    return message
