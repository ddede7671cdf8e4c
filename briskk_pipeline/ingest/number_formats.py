"""A number cell read as the text Excel shows under its number format, or the reason it cannot.

Excel keeps a number and draws it through the cell's number format (ECMA-376 Part 1 §18.8.30
`numFmt`, §18.8.31 `numFmts`): a barcode typed as a number and formatted `0000000000000` is
stored as `12345678905` and shown as `0012345678905`; `10%` in a price cell is stored as 0.1.
calamine (and so fastexcel) returns only the number (calamine #597, PITFALLS), so the readers
hand the cell's format code to this module, which decides what the template column gets:

- **Identifiers** (`product_id`, `sku_id`, `barcode`, `hsn_code`, `size`, `facility_id`,
  `custom_code`, `tax_rule_id`): the text Excel shows (SPEC §2 "Cleaning"), unless what Excel
  shows or stores cannot be the code the brand typed — a number past 15 significant digits
  (Excel keeps 15), a code shown in scientific notation, a long number whose scientific display
  is all that was kept (`1234570000000` from `1.23457E+12`), a code with a decimal part, a value
  the format hides (`;;;`). Those are problems that quote what the cell shows and say to format
  the column as Text and type the code again. A number in General (or Text, `@`) format keeps
  its exact digits up to 15 of them: Excel shows `123456789012` as `1.23457E+11` in a narrow
  General cell, but it stored the digits the brand typed, and the formula bar shows them.
- **Numbers** (`price`, `offer_price`, `stock`, the measurements): the number the cell shows.
  *Rounding is applied*: `1159.821428571` under `0.00` is `1159.82`, because the brand sees and
  means 1159.82, and a problem must never quote a number the brand cannot see. A General cell
  keeps Excel's 15 significant digits (`0.30000000000000004` is `0.3`, as the formula bar shows
  it). A percentage (`10%`, stored 0.1) is a problem, never ₹0.10; a cell shown in another
  currency (`$24.99`, `€ 24.99`) goes on as the text it shows, so validation reports it exactly
  as it reports the typed text `$24.99` (`validation/numbers.py`); a format that scales
  (`0.0,,"M"`), hides, or shows scientific notation is a problem.

Rendering is `xlfmt.format_value` (PyPI `xlfmt`, MIT, no dependencies). Chosen after checking:
`xlformat` is not on PyPI; openpyxl has the built-in format table (`BUILTIN_FORMATS`, used for
ids) but no renderer; `ssf` (a Python port of SheetJS's format engine, last release 2020) needs
Babel, pytz, PyYAML, six, convertdate and ummalqura and its default constructor fails with
current Babel (its fork `ssf-coco` prints debug lines on every call); `q2numfmt` got 22 of 37
reference cases wrong (no zero padding, literals or sections); the `TEXT` function of
`formulas` is EUPL-licensed, pulls in scipy and has no fractions. On the 66 cases compared
(the issue's shapes, Microsoft's documented examples, accounting, fraction, scaled and
conditional codes), xlfmt differed from the expected text twice: General for 0.000001 (a
width-dependent display, unused here) and a locale-only tag (`[$-409]`), for which it draws `$`
though the tag carries no symbol in Excel, so those tags are removed before rendering (`ssf`
with locale support off differed three times, `1.005` under `0.00` among them). Excel renders
from 15 significant digits, so the value is rounded to them first. The format code -> text
table the tests check is in `briskk_pipeline_tests/ingest/test_number_formats.py`.

Speed: rendering costs 10-30 µs a cell, so the common shapes take a vectorised path whose
result is the library's (checked by the tests): zero-padding codes (`000000`) on whole numbers,
and plain decimal codes (`0.00`, `#,##0`) on numbers that already have no more decimals than
shown (nothing to change).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from xlfmt import format_value

from briskk_pipeline.template import BY_NAME, Kind

EXCEL_DIGITS: Final = 15  # significant digits Excel keeps of a number (Excel specifications)
_LIMIT: Final = 10**EXCEL_DIGITS  # 16 digits or more: digits were lost
# `[$-409]` / `[$-F800]`: a locale with no currency symbol (xlfmt would draw `$` for it).
_LOCALE_ONLY_RE: Final = re.compile(r"\[\$-[0-9A-Fa-f]+\]")
_QUOTED_RE: Final = re.compile(r'"[^"]*"|\\.')
_BRACKET_RE: Final = re.compile(r"\[[^\]]*\]")
_CURRENCY_TAG_RE: Final = re.compile(r"\[\$([^\]-]*)(?:-[^\]]*)?\]")
_ZEROS_RE: Final = re.compile(r"0+")
_PLAIN_RE: Final = re.compile(r"(?:#,##0|0)(?:\.(0+))?")
_SCIENTIFIC_RE: Final = re.compile(r"[0-9]E[+-]?[0-9]", re.IGNORECASE)
_FRACTION_RE: Final = re.compile(r"(?:([0-9][0-9,]*) +)?([0-9]+)/([0-9]+)")
_NUMBER_RE: Final = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+")
_OTHER_CURRENCY_RE: Final = re.compile(r"[$€£¥]|\b(?:usd|eur|gbp|aed)\b", re.IGNORECASE)
_TEXT_COLUMNS_ADVICE: Final = "format the {column} column as Text and type the code again"


@dataclass(frozen=True)
class FormatCode:
    """What a number format code does, as far as reading a template cell goes.

    `general`: General or Text (`@`): the number's own digits. `percent`: multiplies by 100.
    `zeros`: the width of a zero-padding-only code (`000000` -> 6), else 0. `decimals`: the
    decimals a plain code (`0.00`, `#,##0`) shows, else None. `fraction`: shows a fraction.
    """

    code: str
    general: bool
    percent: bool
    zeros: int
    decimals: int | None
    fraction: bool


@functools.lru_cache(maxsize=512)
def parse(code: str | None) -> FormatCode:
    """The `FormatCode` of an Excel number format code (None or empty: General)."""
    code = _LOCALE_ONLY_RE.sub("", code or "").strip()
    first = _first_section(code)
    bare = _BRACKET_RE.sub("", _QUOTED_RE.sub("", first)).strip()
    general = bare.lower() in ("general", "@") or not code
    plain = _PLAIN_RE.fullmatch(first)
    return FormatCode(
        code=code or "General",
        general=general,
        percent="%" in bare,
        zeros=len(first) if _ZEROS_RE.fullmatch(first) and ";" not in code else 0,
        decimals=len(plain.group(1) or "") if plain and ";" not in code else None,
        fraction="/" in bare,
    )


def render(value: float, code: str | None) -> str:
    """What Excel shows for `value` under number format `code` (a General cell of any width
    Excel would make for it: `1.23457E+11` for a 12-digit number).

    >>> render(12345678905, "0000000000000")
    '0012345678905'
    """
    fmt = parse(code)
    if fmt.zeros and value >= 0 and value == int(value) and value < _LIMIT:
        return str(int(value)).zfill(fmt.zeros)
    return str(format_value(_excel_value(value), fmt.code))


def general_text(value: float) -> str:
    """A number's digits as Excel keeps them (15 significant): `123456789012`, `0.3`."""
    if value == int(value) and abs(value) < _LIMIT:
        return str(int(value))
    text = format(_excel_value(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Reading:
    """What a template cell gets for a number cell: `text` for the cell, or a `problem`.

    `shown` is what Excel shows in the cell (the value a problem quotes).
    """

    shown: str
    text: str | None = None
    problem: str | None = None


def read_cell(value: float, code: str | None, column: str) -> Reading:
    """The reading of number `value` formatted `code` in template column `column`."""
    fmt = parse(code)
    shown = general_text(value) if fmt.general else render(value, fmt.code)
    return read_shown(value, shown, fmt, column)


def read_shown(value: float, shown: str, fmt: FormatCode, column: str) -> Reading:
    """The reading of number `value` that the cell shows as `shown`, its format described by
    `fmt` (an .ods cell carries `shown` itself; its caller builds `fmt` from the value type)."""
    if not math.isfinite(value):
        return Reading(shown, problem="is not a number Excel can show")
    if BY_NAME[column].kind is Kind.IDENTIFIER:
        return _identifier(value, shown.strip(), fmt, column)
    return _number(value, shown.strip(), fmt, column)


def _identifier(value: float, shown: str, fmt: FormatCode, column: str) -> Reading:
    advice = _TEXT_COLUMNS_ADVICE.format(column=column)
    whole = value == int(value)
    if abs(value) >= _LIMIT:
        shown = shown if not fmt.general else render(value, "General")
        return Reading(
            shown,
            problem=f"this code was typed as a number, and Excel keeps only the first "
            f"{EXCEL_DIGITS} digits of a number (the cell shows {shown}): it cannot be the code "
            f"you typed; {advice}",
        )
    if fmt.general and whole and abs(value) >= 10**11 and _significant(value) <= 6:
        shown = render(value, "General")
        return Reading(
            shown,
            problem=f"the cell holds {int(value)}, which is what is left of a long code that "
            f"was shown as {shown}: Excel shows long numbers that way, and a copy or CSV saved "
            f"from it keeps only those digits; {advice}",
        )
    if not whole and column != "size":
        return Reading(
            shown,
            problem=f"this code is a number with a decimal part ({shown}): Excel drops the "
            f"zeros at the end of a number, so it may not be the code you typed; {advice}",
        )
    if fmt.general:
        return Reading(shown, text=shown)
    if not shown:
        return _hidden(value, column)
    if _SCIENTIFIC_RE.search(shown):
        return Reading(
            shown,
            problem=f"the cell shows {shown} (scientific notation), which is not the whole "
            f"code; {advice}",
        )
    if not whole and not fmt.fraction and _displayed_number(shown) != _decimal(value):
        return Reading(
            shown,
            problem=f"the cell shows {shown} but holds {general_text(value)} (its number "
            f"format rounds it); {advice}",
        )
    return Reading(shown, text=shown)


def _number(value: float, shown: str, fmt: FormatCode, column: str) -> Reading:
    if fmt.general:
        return Reading(shown, text=general_text(value))
    if fmt.percent:
        return Reading(
            shown,
            problem=f"the cell shows {shown}, a percentage: {column} must be "
            + ("a number of units" if column == "stock" else "an amount")
            + " — format the cell as Number and type the "
            + ("amount in rupees" if BY_NAME[column].kind is Kind.DECIMAL else "value"),
        )
    if not shown:
        return _hidden(value, column)
    if _OTHER_CURRENCY_RE.search(shown):
        return Reading(shown, text=shown)  # validation says it as it says it of typed text
    if _SCIENTIFIC_RE.search(shown):
        return Reading(
            shown,
            problem=f"the cell shows {shown} (scientific notation): format the cell as Number "
            "so it shows the whole value, and check it",
        )
    number = _displayed_number(shown)
    if number is None and fmt.fraction:
        return Reading(shown, text=general_text(value))  # 1/3: no decimal shows it exactly
    if number is None:
        return Reading(shown, text=shown)  # a format that shows only text: validation says so
    signed = -number if value < 0 else number
    if abs(Fraction(signed) - Fraction(_decimal(value))) > _tolerance(shown):
        return Reading(
            shown,
            problem=f"the cell shows {shown} but holds {general_text(value)} (its number "
            "format changes the value): format the cell as Number and check the value",
        )
    return Reading(shown, text=_plain(signed))


def _hidden(value: float, column: str) -> Reading:
    return Reading(
        "",
        problem=f"the cell looks empty but holds {general_text(value)}: its number format "
        f"hides the value; clear the cell, or format the {column} column as General and check "
        "the value",
    )


def _first_section(code: str) -> str:
    """The positive section of a code (`0;(0)` -> `0`), `;` inside quotes kept."""
    depth_quote = False
    for index, char in enumerate(code):
        if char == '"':
            depth_quote = not depth_quote
        elif char == ";" and not depth_quote:
            return code[:index]
    return code


def _excel_value(value: float) -> Decimal:
    """`value` at Excel's 15 significant digits (what it renders from)."""
    return Decimal(format(value, f".{EXCEL_DIGITS}g"))


def _decimal(value: float) -> Decimal:
    return _excel_value(value).normalize()


def _significant(value: float) -> int:
    return len(str(int(abs(value))).rstrip("0"))


def _displayed_number(shown: str) -> Decimal | None:
    """The magnitude a display shows: `₹ 1,159.82` -> 1159.82, `38 1/8` -> 38.125."""
    fraction = _FRACTION_RE.search(shown)
    if fraction is not None:
        whole = Fraction(int((fraction.group(1) or "0").replace(",", "")))
        denominator = int(fraction.group(3))
        if denominator == 0:
            return None
        exact = whole + Fraction(int(fraction.group(2)), denominator)
        return _terminating(exact)
    numbers = _NUMBER_RE.findall(shown)
    if len(numbers) != 1:
        return None
    try:
        return Decimal(numbers[0].replace(",", ""))
    except InvalidOperation:
        return None


def _terminating(exact: Fraction) -> Decimal | None:
    """The fraction as a finite decimal, or None when it has none (1/3)."""
    denominator = exact.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return None
    return Decimal(exact.numerator) / Decimal(exact.denominator)


def _tolerance(shown: str) -> Fraction:
    """How far a value may be from what the cell shows by rounding alone."""
    fraction = _FRACTION_RE.search(shown)
    if fraction is not None:
        return Fraction(1, 2 * max(int(fraction.group(3)), 1))
    number = _NUMBER_RE.findall(shown)[0]
    decimals = len(number.partition(".")[2])
    return Fraction(1, 2 * 10**decimals) + Fraction(1, 10**12)


def _plain(number: Decimal) -> str:
    """Canonical decimal text for validation (`1159.82`, `12`, `-5`)."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
