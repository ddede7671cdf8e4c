"""Number format code -> the text Excel shows, and what a template column takes from it.

The rendering table holds what Excel is documented to show: Microsoft Support, "Number format
codes" (support.microsoft.com/office/number-format-codes-5026bbd6-04bc-48cd-bf33-80f18b4eae68:
`####.#` shows 1234.59 as 1234.6, `#.000` shows 8.9 as 8.900, `0.#` shows .631 as 0.6,
`#.0#` shows 12 as 12.0 and 1234.568 as 1234.57, `# ???/???` shows 5.25 as 5 1/4, `#,###`
shows 12000 as 12,000, `#,` shows 12000 as 12, `0.0,,` shows 12200000 as 12.2, `%` shows .08
as 8% and 2.8 as 280%, `0.00E+00` shows 12200000 as 1.22E+07); "Keeping leading zeros and
large numbers" (the custom format `00000` shows 123 as 00123; Excel keeps 15 digits, a number
of 16 or more digits has its last digits turned to zeros) and "Available number formats in
Excel" (General shows numbers of 12 or more digits in scientific notation). The rest are the
file shapes of the issue (`0000000000000`, `[$-409]`, `;;;`, `"SKU-"0000`, currencies).
"""

from __future__ import annotations

import random

import pytest

from briskk_pipeline.ingest.number_formats import general_text, parse, read_cell, render

MICROSOFT = [
    (1234.59, "####.#", "1234.6"),
    (8.9, "#.000", "8.900"),
    (0.631, "0.#", "0.6"),
    (12, "#.0#", "12.0"),
    (1234.568, "#.0#", "1234.57"),
    (5.25, "# ???/???", "5   1/4  "),
    (5.3, "# ???/???", "5   3/10 "),
    (12000, "#,###", "12,000"),
    (12000, "#,", "12"),
    (12200000, "0.0,,", "12.2"),
    (0.08, "0%", "8%"),
    (2.8, "0%", "280%"),
    (12200000, "0.00E+00", "1.22E+07"),
    (123, "00000", "00123"),
    (1234567890123, "General", "1.23457E+12"),
    # typed 12345678901234567: Excel turns digits past the 15th to zeros and stores this
    (12345678901234500, "0", "12345678901234500"),
    (1.23, '0.00 "Surplus";-0.00 "Shortage"', "1.23 Surplus"),
    (-1.23, '0.00 "Surplus";-0.00 "Shortage"', "-1.23 Shortage"),
]
ISSUE = [
    (12345678905, "0000000000000", "0012345678905"),
    (451, "000000", "000451"),
    (8, "00", "08"),
    (32.5, "# ?/?", "32 1/2"),
    (61091000, "0", "61091000"),
    (1234567, "#,##0", "1,234,567"),
    (1159.821428571, "0.00", "1159.82"),
    (1159.821428571, "#,##0.00", "1,159.82"),
    (1.005, "0.00", "1.01"),  # Excel rounds the 15-digit value half away from zero
    (0.1, "0%", "10%"),
    (24.99, '"$"#,##0.00', "$24.99"),
    (24.99, "[$$-409]#,##0.00", "$24.99"),
    (24.99, "[$€-407] #,##0.00", "€ 24.99"),
    (1234.5, "[$₹-4009] #,##0.00", "₹ 1,234.50"),
    (1234.5, "[$-409]#,##0.00", "1,234.50"),  # a locale tag only: no currency symbol
    (1234, '"SKU-"0000', "SKU-1234"),
    (12, '"SKU-"0000', "SKU-0012"),
    (123456, "0.00E+00", "1.23E+05"),
    (5, ";;;", ""),
    (-5, "0;(0)", "(5)"),
    (1234.5, "#,##0.00_);[Red](#,##0.00)", "1,234.50 "),
    (1234567.5, '0.0,,"M"', "1.2M"),
    (38.13, "# ?/8", "38 1/8"),
    (123456789012, "General", "1.23457E+11"),
    (12345678901, "General", "12345678901"),
]


@pytest.mark.parametrize(("value", "code", "shown"), MICROSOFT + ISSUE)
def test_what_excel_shows(value, code, shown):
    assert render(value, code) == shown


def test_the_zero_padding_shortcut_is_the_library_s_result():
    """`render` pads zero-only codes itself (speed): the same text as xlfmt on any value."""
    from xlfmt import format_value

    rng = random.Random(3)
    for _ in range(2000):
        value = rng.choice((rng.randrange(10**6), rng.randrange(10**14)))
        for code in ("0", "00", "000000", "0000000000000", "00000000000000"):
            assert render(value, code) == format_value(value, code)


def test_general_keeps_the_digits_excel_stores():
    assert general_text(123456789012) == "123456789012"
    assert general_text(0.1 + 0.2) == "0.3"
    assert general_text(1159.8214285714287) == "1159.82142857143"  # the formula bar's 15 digits
    assert parse("@").general and parse("General").general and parse(None).general
    assert not parse("0").general and parse("0%").percent and parse("# ?/?").fraction


# ------------------------------------------------------------------ what a column takes


@pytest.mark.parametrize(
    ("value", "code", "column", "text"),
    [
        (12345678905, "0000000000000", "barcode", "0012345678905"),
        (451, "000000", "sku_id", "000451"),
        (8, "00", "size", "08"),
        (32.5, "# ?/?", "size", "32 1/2"),
        (7.5, "General", "size", "7.5"),
        (8901234567890, "General", "barcode", "8901234567890"),  # shown 8.90123E+12, stored exact
        (61091000, "@", "hsn_code", "61091000"),
        (1234, '"SKU-"0000', "sku_id", "SKU-1234"),
        (1159.821428571, "0.00", "price", "1159.82"),  # rounded to what the cell shows
        (1299.5, "#,##0.00", "price", "1299.5"),
        (1234.5, "[$₹-4009] #,##0.00", "price", "1234.5"),
        (24.99, '"$"#,##0.00', "price", "$24.99"),  # validation reports it like typed text
        (1234, "#,##0", "stock", "1234"),
        (12, "0.0", "stock", "12"),
        (38.13, "# ?/8", "chest_bust_in", "38.125"),
        (0.1 + 0.2, "General", "price", "0.3"),
    ],
)
def test_a_column_takes_what_the_cell_shows(value, code, column, text):
    reading = read_cell(value, code, column)
    assert (reading.text, reading.problem) == (text, None)


@pytest.mark.parametrize(
    ("value", "code", "column", "shown", "words"),
    [
        (1234567890123456789, "0", "barcode", "1234567890123460000", "only the first 15 digits"),
        (1234567890123456, "General", "sku_id", "1.23457E+15", "only the first 15 digits"),
        (1234570000000, "General", "barcode", "1.23457E+12", "what is left of a long code"),
        (6109.1, "General", "hsn_code", "6109.1", "a decimal part"),
        (123456, "0.00E+00", "barcode", "1.23E+05", "scientific notation"),
        (5, ";;;", "sku_id", "", "hides the value"),
        (7.5, "0", "size", "8", "shows 8 but holds 7.5"),
        (0.1, "0%", "offer_price", "10%", "a percentage"),
        (0.25, "0%", "stock", "25%", "a percentage"),
        (1234567.5, '0.0,,"M"', "price", "1.2M", "shows 1.2M but holds 1234567.5"),
        (123456, "0.00E+00", "price", "1.23E+05", "scientific notation"),
        (499, ";;;", "price", "", "hides the value"),
    ],
)
def test_what_cannot_be_what_the_brand_typed_is_a_problem(value, code, column, shown, words):
    reading = read_cell(value, code, column)
    assert reading.text is None and reading.shown == shown
    assert words in (reading.problem or "")
    if column in ("barcode", "sku_id", "hsn_code", "size") and shown:
        assert f"format the {column} column as Text and type the code again" in reading.problem
