"""Numbers as people type them: every accepted form, every refused one, and no silent scaling."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from briskk_pipeline.validation.cleaning import clean
from briskk_pipeline.validation.numbers import MEASURE, MONEY, STOCK, NumberRule, read_numbers
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.validation.test_validate import one_row, raw_frame
from briskk_pipeline_tests.workbooks import template_rows

NOT_A_PRICE = "must be a number, like 1299.00"
SEPARATORS = (
    "; its separators fit no number format (write 1299.50, 1,299.50, 1,29,999.50 or 1.299,50)"
)


def read_one(given: str | None, rule: NumberRule) -> tuple[str | None, str | None]:
    """(exact text or None, problem message or None) for one cell, alone in its column."""
    read = read_numbers(pd.Series([given], index=[2], dtype="str"), rule)
    exact = read.exact.at[2]
    return (None if pd.isna(exact) else str(exact)), read.problems.get(2)


# ------------------------------------------------------------------------------ prices

PRICES_READ = [
    ("1299", "1299"),
    ("499.99", "499.99"),
    ("1299.00", "1299.00"),
    ("1,299.00", "1299.00"),
    ("1,299", "1299"),
    ("1,000", "1000"),  # a lone comma before three digits groups thousands in prices
    ("12,500", "12500"),
    ("1,000,000.50", "1000000.50"),
    ("1,29,999.00", "129999.00"),  # Indian grouping: lakh
    ("12,34,56,789", "123456789"),  # and crore
    ("1299,50", "1299.50"),  # decimal comma
    ("0,5", "0.5"),
    ("0,500", "0.500"),  # a leading 0 cannot be a thousands group
    ("1.299,00", "1299.00"),  # European: dot groups, comma is the decimal
    ("1.299.999,5", "1299999.5"),
    ("1.000.000", "1000000"),  # a dot used twice groups
    ("1 299", "1299"),
    ("1 299,50", "1299.50"),
    ("1 299.50", "1299.50"),
    ("1\u00a0299,50", "1299.50"),  # no-break space
    ("1\u202f299.50", "1299.50"),  # narrow no-break space (French)
    ("1\u2009299", "1299"),  # thin space
    ("₹1,299", "1299"),
    ("₹ 1,299.50", "1299.50"),
    ("₹\u00a0499", "499"),
    ("Rs. 499", "499"),
    ("Rs.499/-", "499"),
    ("rs 499", "499"),
    ("INR 1,299", "1299"),
    ("1,299 INR", "1299"),
    ("499/-", "499"),
    ("499 ₹", "499"),
    ("+5", "5"),
    (".5", "0.5"),
    ("12.", "12"),
    ("0.500", "0.500"),
    ("１２９９", "1299"),  # full-width
    ("１，２９９．００", "1299.00"),
    ("١٢٩٩", "1299"),  # Arabic-Indic
    ("١٬٢٩٩٫٥٠", "1299.50"),  # with the Arabic thousands and decimal separators
    ("۱۲۹۹", "1299"),  # Extended Arabic-Indic (Persian, Urdu)
    ("१२९९", "1299"),  # Devanagari
    ("₹१,२९९.५०", "1299.50"),
    ("\u2212" + "5", "-5"),  # minus sign, then "must be greater than 0" in the schema
]


@pytest.mark.parametrize(("given", "exact"), PRICES_READ)
def test_price_forms_read_exactly(given, exact):
    assert read_one(given, MONEY) == (exact, None)
    cleaned = clean(one_row(price=given, offer_price=None))
    assert cleaned.problems == []
    assert cleaned.exact.at[2, "price"] == exact
    assert cleaned.typed.at[2, "price"] == float(exact)


PRICES_REFUSED = [
    # ambiguous: both readings are plausible prices, so the brand must say which
    ("1.000", "could mean 1000 or 1: write 1000 without a thousands separator, or 1"),
    ("1.299", "could mean 1299 or 1.299: write 1299 without a thousands separator, or 1.299"),
    ("12.500", "could mean 12500 or 12.5: write 12500 without a thousands separator, or 12.5"),
    ("499.000", "could mean 499000 or 499: write 499000 without a thousands separator, or 499"),
    ("₹1.299", "could mean 1299 or 1.299: write 1299 without a thousands separator, or 1.299"),
    ("-1.000", "could mean -1000 or -1: write -1000 without a thousands separator, or -1"),
    # separators that fit no form
    ("12,5.3.1", NOT_A_PRICE + SEPARATORS),
    ("1.234.5", NOT_A_PRICE + SEPARATORS),
    ("1,2,3", NOT_A_PRICE + SEPARATORS),
    ("12,99,9", NOT_A_PRICE + SEPARATORS),
    ("1,299,50", NOT_A_PRICE + SEPARATORS),
    ("1.299.00", NOT_A_PRICE + SEPARATORS),  # a dot twice groups, but 00 is no group
    ("1,299.000,5", NOT_A_PRICE + SEPARATORS),
    ("1 29 999", NOT_A_PRICE + SEPARATORS),
    # another currency is never converted
    ("$10", NOT_A_PRICE + ", in rupees (₹, Rs. and INR are understood; no other currency)"),
    ("1.299,00 €", NOT_A_PRICE + ", in rupees (₹, Rs. and INR are understood; no other currency)"),
    ("USD 12", NOT_A_PRICE + ", in rupees (₹, Rs. and INR are understood; no other currency)"),
    # not numbers at all
    ("abc", NOT_A_PRICE),
    ("1e3", NOT_A_PRICE),
    ("₹", NOT_A_PRICE),
    ("5²", NOT_A_PRICE),  # NFKC would read 52
    ("½", NOT_A_PRICE),
    ("--5", NOT_A_PRICE),
    ("Rs. 1,299 only", NOT_A_PRICE),
]


@pytest.mark.parametrize(("given", "message"), PRICES_REFUSED)
def test_price_forms_refused_with_the_value_and_how_to_write_it(given, message):
    assert read_one(given, MONEY) == (None, message)
    result = validate_rows(one_row(price=given, offer_price=None))
    assert [(p.row, p.column, p.value, p.message) for p in result.problems] == [
        (2, "price", given, message)
    ]
    assert result.skus.empty


def test_a_lone_comma_is_ambiguous_in_a_column_that_writes_decimal_commas():
    rows = template_rows(4)
    for r, price in zip(rows, ("1299,50", "1,000", "2.499,00", "12,500"), strict=True):
        r["price"], r["offer_price"] = price, "1,000"
    cleaned = clean(raw_frame(rows))
    assert [(p.row, p.column, p.value) for p in cleaned.problems] == [
        (3, "price", "1,000"),
        (5, "price", "12,500"),
    ]
    assert cleaned.problems[0].message.startswith("could mean 1000 or 1:")
    assert cleaned.exact["price"].tolist()[::2] == ["1299.50", "2499.00"]
    # offer_price writes no decimal comma anywhere: its "1,000" is a thousand
    assert cleaned.exact["offer_price"].tolist() == ["1000"] * 4


# ------------------------------------------------------------------------------- stock

STOCK_READ = [
    ("25", 25),
    ("0", 0),
    ("25.0", 25),  # an Excel number written as text
    ("25.00", 25),
    ("1,000", 1000),
    ("1,00,000", 100000),
    ("1.000.000", 1000000),
    ("1.000,00", 1000),
    ("1 000", 1000),
    ("１２", 12),
    ("٢٥", 25),
    ("२५", 25),
    ("+7", 7),
]


@pytest.mark.parametrize(("given", "stock"), STOCK_READ)
def test_stock_forms_read_exactly(given, stock):
    assert read_one(given, STOCK) == (str(stock), None)
    cleaned = clean(one_row(stock=given))
    assert cleaned.problems == []
    assert cleaned.typed.at[2, "stock"] == stock


STOCK_REFUSED = [
    ("1.000", "could mean 1000 or 1: write 1000 without a thousands separator, or 1"),
    ("12.500", "could mean 12500 or 12.5: write 12500 without a thousands separator, or 12.5"),
    ("2.5", "must be a whole number, like 25"),
    ("1299,50", "must be a whole number, like 25"),
    ("₹5", "must be a whole number, like 25"),
    ("five", "must be a whole number, like 25"),
    ("1,2,3", "must be a whole number, like 25" + SEPARATORS),
]


@pytest.mark.parametrize(("given", "message"), STOCK_REFUSED)
def test_stock_forms_refused(given, message):
    assert read_one(given, STOCK) == (None, message)
    problems = clean(one_row(stock=given)).problems
    assert [(p.row, p.column, p.value, p.message) for p in problems] == [
        (2, "stock", given, message)
    ]


def test_stock_beyond_a_whole_number_column_is_too_large():
    problems = clean(one_row(stock="3,000,000,000")).problems
    assert [(p.column, p.value, p.message) for p in problems] == [
        ("stock", "3,000,000,000", "is too large")
    ]


# ------------------------------------------------------------------------ measurements

MEASURES_READ = [
    ("38", "38"),
    ("38.5", "38.5"),
    ("38,5", "38.5"),
    ("38.125", "38.125"),  # eighths of an inch: a lone separator is the decimal point
    ("38,125", "38.125"),
    ("1.000", "1.000"),
    ("٣٨٫٥", "38.5"),
    ("३८.५", "38.5"),
    ("３８．５", "38.5"),
]


@pytest.mark.parametrize(("given", "exact"), MEASURES_READ)
def test_measurement_forms_read_exactly(given, exact):
    assert read_one(given, MEASURE) == (exact, None)
    cleaned = clean(one_row(waist_in=given))
    assert cleaned.problems == [] and cleaned.exact.at[2, "waist_in"] == exact


@pytest.mark.parametrize("given", ["₹38", "38 in", '38"', "Rs. 38"])
def test_measurements_take_no_units_or_currency(given):
    assert read_one(given, MEASURE) == (None, "must be a number, like 38.5")


def test_blank_cells_stay_blank():
    for rule in (MONEY, STOCK, MEASURE):
        assert read_one(None, rule) == (None, None)


# ---------------------------------------------------------- no silent scaling, ever


def _english(value: Decimal, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _indian(value: Decimal, decimals: int) -> str:
    whole, _, fraction = f"{value:.{decimals}f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    grouped = ",".join([g for g in (head, *groups) if g] + [tail])
    return grouped + (f".{fraction}" if fraction else "")


def _european(value: Decimal, decimals: int) -> str:
    return _english(value, decimals).translate(str.maketrans(",.", ".,"))


def _plain(value: Decimal, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _decimal_comma(value: Decimal, decimals: int) -> str:
    return _plain(value, decimals).replace(".", ",")


def _french(value: Decimal, decimals: int) -> str:
    return _english(value, decimals).replace(",", "\u202f").replace(".", ",")


WRITERS = (_english, _indian, _european, _plain, _decimal_comma, _french)
# (rule, values it may hold): prices have at most two decimal places, stock is whole,
# measurements in inches are below a thousand. Within those, whatever the writing habit,
# a number reads as itself or is reported: never 10x, 1000x or 1/1000 of itself.
DOMAINS: list[tuple[NumberRule, list[str], tuple[int, ...]]] = [
    (
        MONEY,
        [
            "0.5",
            "1",
            "1.5",
            "12.5",
            "99.99",
            "499",
            "999",
            "1000",
            "1299.5",
            "12500",
            "129999.99",
            "1000000",
            "12345678.9",
        ],
        (0, 1, 2),
    ),
    (STOCK, ["0", "1", "12", "999", "1000", "1500", "25000", "100000", "1234567"], (0,)),
    (MEASURE, ["0.5", "1", "12.25", "38.125", "38.5", "100", "999.875"], (0, 1, 2, 3)),
]


@pytest.mark.parametrize(
    ("rule", "values", "decimal_places"), DOMAINS, ids=["money", "stock", "measure"]
)
def test_every_writing_habit_reads_the_value_or_is_reported(rule, values, decimal_places):
    checked = refused = 0
    for value in map(Decimal, values):
        for places in decimal_places:
            if value != round(value, places):
                continue
            for write in WRITERS:
                text = write(value, places)
                exact, problem = read_one(text, rule)
                checked += 1
                if exact is None:
                    assert problem, text
                    refused += 1
                else:
                    assert Decimal(exact) == value, (write.__name__, text, exact)
    # most habits read; what is refused is the European "1.000" in money and stock
    assert checked >= 50 and refused < checked / 4
    assert (refused > 0) is (rule is not MEASURE)
