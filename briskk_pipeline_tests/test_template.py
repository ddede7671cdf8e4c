"""The template's tenant rules (SPEC §2, Fidelity issue item 8) as tables of names."""

from __future__ import annotations

import pytest

from briskk_pipeline import template

LONG = "LongBrandName_Briskk_SKU_Template"  # 33 characters: Excel keeps 31


def cut(name: str) -> str:
    """What Excel keeps of a sheet name."""
    return name[: template.EXCEL_SHEET_NAME_LIMIT]


@pytest.mark.parametrize(
    ("name", "claim"),
    [
        # the template's own naming, any case, spaces around
        ("BrandA_Briskk_SKU_Template", "BrandA"),
        ("branda_briskk_sku_template", "branda"),
        ("BRANDA_BRISKK_SKU_TEMPLATE", "BRANDA"),
        ("  brand-a_Briskk_SKU_Template ", "brand-a"),
        ("Brand_A_Briskk_SKU_Template", "Brand_A"),
        ("Brand A_Briskk_SKU_Template", "Brand A"),  # claimed; judged invalid later
        # cut by Excel at 31 characters, the cut landing at several places of the suffix
        (cut(LONG), "LongBrandName"),  # ..._Templa
        ("FashionHubIndia_Briskk_SKU_Temp", "FashionHubIndia"),
        ("fashionhubindia_briskk_sku_temp", "fashionhubindia"),
        (cut("ABCDEFGHIJKLMNOPQRS_Briskk_SKU_Template"), "ABCDEFGHIJKLMNOPQRS"),  # _SKU_
        (cut("ABCDEFGHIJKLMNOPQRSTUVW_Briskk_SKU_Template"), "ABCDEFGHIJKLMNOPQRSTUVW"),  # _Bris
        (cut("ABCDEFGHIJKLMNOPQRSTUVWXYZ12_Briskk_SKU_Template"), "ABCDEFGHIJKLMNOPQRSTUVWXYZ12"),
        (cut("ABCDEFGHIJKLMNOPQRSTUVWXYZ123_Briskk_SKU_Template"), "ABCDEFGHIJKLMNOPQRSTUVWXYZ123"),
        (cut("Brand_B_and_more_B_Briskk_SKU_Template"), "Brand_B_and_more_B"),  # longest reading
        # renamed by a browser or file manager (CSV file names, without extension)
        ("BrandA_Briskk_SKU_Template (1)", "BrandA"),
        ("BrandA_Briskk_SKU_Template(1)", "BrandA"),
        ("BrandA_Briskk_SKU_Template (12)", "BrandA"),
        ("BrandA_Briskk_SKU_Template - Copy", "BrandA"),
        ("BrandA_Briskk_SKU_Template - Copy (2)", "BrandA"),
        ("BrandA_Briskk_SKU_Template copy", "BrandA"),
        ("BrandA_Briskk_SKU_Template copy 2", "BrandA"),
        ("BrandA_Briskk_SKU_Template (1) (1)", "BrandA"),
        ("FashionHubIndia_Briskk_SKU_Temp (1)", "FashionHubIndia"),  # cut, then copied
        # "Copy of" (Google Drive, older Windows), a Google Sheets "<title> - <sheet>" download
        ("Copy of BrandA_Briskk_SKU_Template", "BrandA"),
        ("copy of Copy of BrandA_Briskk_SKU_Template (1)", "BrandA"),
        ("Copy of LongBrandName_Briskk_SK", "LongBrandName"),  # copied, then cut at 31
        ("Briskk SKU Template - BrandA_Briskk_SKU_Template", "BrandA"),
        ("Catalog - Copy of BrandA_Briskk_SKU_Template", "BrandA"),
    ],
)
def test_tenant_claim(name: str, claim: str) -> None:
    assert template.tenant_claim(name) == claim


@pytest.mark.parametrize(
    "name",
    [
        "Sheet1",
        "Sample fields and data",
        "Briskk_SKU_Template",
        "_Briskk_SKU_Template",
        "BrandA_Briskk_SKU_Templates",
        "BrandA_Briskk_SKU_Template_v2",
        "BrandA_Briskk_SKU",  # not 31 characters: not a cut, just another name
        "FashionHubIndia_Briskk_SKU_Tem",  # 30 characters: Excel did not cut it
        "FashionHubIndia_Briskk_SKU_Templ",  # 32 characters: not what Excel keeps
        cut("VeryLongBrandNameOfThirtyOneChars_Briskk_SKU_Template"),  # cut inside the tenant
        "Description of each column 2024",  # 31 characters, no suffix at all
        "Briskk SKU Template - BrandA",  # the tenant after the template's name: no claim
        "Briskk SKU Template",
        "Copy of _Briskk_SKU_Template",
        "(1)",
        "",
    ],
)
def test_not_a_tenant_claim(name: str) -> None:
    assert template.tenant_claim(name) is None


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("catalog (1)", "catalog"),
        ("catalog(3)", "catalog"),
        ("catalog - Copy", "catalog"),
        ("catalog - copy (4)", "catalog"),
        ("catalog copy", "catalog"),
        ("catalog copy 3", "catalog"),
        ("catalog", "catalog"),
        ("catalog-copy", "catalog-copy"),  # a name, not a copy mark
        ("(2)", "(2)"),  # nothing would be left
    ],
)
def test_strip_copy_suffix(name: str, stripped: str) -> None:
    assert template.strip_copy_suffix(name) == stripped


@pytest.mark.parametrize(
    ("explicit", "claimed", "tenant"),
    [
        ("BrandA", None, "BrandA"),
        (None, "BrandA", "BrandA"),
        ("brandA", "BrandA", "brandA"),  # one tenant, any case: the explicit spelling
        ("BRANDA", "branda", "BRANDA"),
        (None, None, "default"),
    ],
)
def test_resolve_tenant(explicit: str | None, claimed: str | None, tenant: str) -> None:
    assert template.resolve_tenant(explicit, claimed) == tenant


def test_resolve_tenant_rejects_another_brands_sheet() -> None:
    with pytest.raises(template.TenantMismatch, match=r"named for tenant 'BrandA'.*'BrandB'"):
        template.resolve_tenant("BrandB", "BrandA")


@pytest.mark.parametrize(
    ("sheet", "warning"),
    [
        (
            "Sheet1",
            "no tenant given and the sheet is not named '<Tenant>_Briskk_SKU_Template': "
            "filed under tenant 'default'",
        ),
        (
            None,
            "no tenant given and the file is not named '<Tenant>_Briskk_SKU_Template.csv': "
            "filed under tenant 'default'",
        ),
        (
            cut("VeryLongBrandNameOfThirtyOneChars_Briskk_SKU_Template"),
            "no tenant given and the sheet name 'VeryLongBrandNameOfThirtyOneCha' is cut at "
            "Excel's 31 characters inside what may be the tenant's name, so it names no tenant: "
            "filed under tenant 'default'",
        ),
    ],
)
def test_default_tenant_warning(sheet: str | None, warning: str) -> None:
    assert template.default_tenant_warning(sheet).startswith(warning)
