"""Tenant identity through real uploads (SPEC §2, Fidelity issue item 8): one tenant whatever
the case, names Excel cut or browsers renamed still claim it, and `default` says so."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.uploads import list_uploads
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

DEFAULT_SHEET_WARNING = (
    "no tenant given and the sheet is not named '<Tenant>_Briskk_SKU_Template': "
    "filed under tenant 'default'"
)


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


def tenants(harness: Harness) -> list[str]:
    with harness.engine.connect() as connection:
        return list(connection.execute(sa.select(tables.tenants.c.name)).scalars())


def catalog_tenants(harness: Harness) -> set[str]:
    with harness.engine.connect() as connection:
        return {
            tenant
            for table in (tables.products, tables.skus, tables.product_images, tables.uploads)
            for tenant in connection.execute(sa.select(table.c.tenant).distinct()).scalars()
        }


def test_one_tenant_whatever_the_case_first_spelling_kept(harness, tmp_path):
    """`--tenant brandA`, then a `BrandA_…` sheet with no tenant given: one catalog, `brandA`."""
    first = harness.ingest(
        write_xlsx(tmp_path / "a.xlsx", template_rows(4), sheet_name="Sheet1"), tenant="brandA"
    )
    second = harness.ingest(write_xlsx(tmp_path / "b.xlsx", template_rows(8)))  # BrandA_… sheet
    third = harness.ingest(
        write_xlsx(tmp_path / "c.xlsx", template_rows(4), sheet_name="BRANDA_Briskk_SKU_Template"),
        tenant="BrandA",
    )
    for record in (first, second, third):
        assert record["status"] == "succeeded" and record["errors"] == []
        assert record["tenant"] == "brandA"
        assert record["upload_id"].startswith("brandA-")
        assert record["archive_key"].startswith(f"archive/brandA/{record['upload_id']}/")
    assert first["warnings"] == []
    spelled = (
        "tenant 'BrandA' is filed under 'brandA', the spelling first registered "
        "(tenant names ignore letter case)"
    )
    assert second["warnings"] == [spelled] and third["warnings"] == [spelled]
    assert third["explicit_tenant"] == "BrandA"  # who uploaded, as given
    assert tenants(harness) == ["brandA"]
    assert catalog_tenants(harness) == {"brandA"}
    # the second upload updated the first's products instead of starting a second catalog
    assert [p["product_id"] for p in harness.products()] == ["P000000", "P000001"]
    for spelling in ("brandA", "BrandA", "BRANDA"):
        assert [p["product_id"] for p in harness.products(spelling)] == ["P000000", "P000001"]
        assert len(list_uploads(harness.engine, spelling)) == 3


def test_a_sheet_name_cut_by_excel_claims_its_tenant(harness, tmp_path):
    sheet = "FashionHubIndia_Briskk_SKU_Temp"  # what Excel keeps of ..._Template
    record = harness.ingest(write_xlsx(tmp_path / "f.xlsx", template_rows(4), sheet_name=sheet))
    assert (record["status"], record["tenant"], record["warnings"]) == (
        "succeeded",
        "FashionHubIndia",
        [],
    )
    same = harness.ingest(tmp_path / "f.xlsx", tenant="fashionhubindia")
    assert (same["status"], same["tenant"]) == ("succeeded", "FashionHubIndia")
    other = harness.ingest(tmp_path / "f.xlsx", tenant="BrandB")
    assert other["status"] == "rejected"
    assert "named for tenant 'FashionHubIndia'" in other["errors"][0]["message"]
    assert [p["tenant"] for p in harness.products()] == ["FashionHubIndia"]


def test_a_csv_renamed_by_a_browser_claims_its_tenant(harness, tmp_path):
    path = tmp_path / "BrandA_Briskk_SKU_Template (1).csv"
    path.write_bytes(csv_bytes(template_rows(4)))
    record = harness.ingest(path)
    assert (record["status"], record["tenant"], record["warnings"]) == ("succeeded", "BrandA", [])
    assert record["file_name"] == "BrandA_Briskk_SKU_Template (1).csv"


@pytest.mark.parametrize(
    ("name", "sheet", "warning"),
    [
        ("plain.xlsx", "Sheet1", DEFAULT_SHEET_WARNING),
        (
            "catalog.csv",
            None,
            "no tenant given and the file is not named '<Tenant>_Briskk_SKU_Template.csv': "
            "filed under tenant 'default'",
        ),
        (
            "cut.xlsx",
            "VeryLongBrandNameOfThirtyOneCha",  # Excel cut inside a 33-character tenant
            "no tenant given and the sheet name 'VeryLongBrandNameOfThirtyOneCha' is cut at "
            "Excel's 31 characters inside what may be the tenant's name, so it names no tenant: "
            "filed under tenant 'default'",
        ),
    ],
    ids=["xlsx", "csv", "cut-inside-tenant"],
)
def test_an_upload_filed_under_default_says_so(harness, tmp_path, name, sheet, warning):
    path = tmp_path / name
    if sheet is None:
        path.write_bytes(csv_bytes(template_rows(4)))
    else:
        write_xlsx(path, template_rows(4), sheet_name=sheet)
    record = harness.ingest(path)
    assert (record["status"], record["tenant"]) == ("succeeded", "default")
    assert len(record["warnings"]) == 1 and record["warnings"][0].startswith(warning)
    # an explicit tenant is an identity: nothing to warn about
    explicit = harness.ingest(path, tenant="BrandZ")
    assert (explicit["tenant"], explicit["warnings"]) == ("BrandZ", [])


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("Briskk SKU Template - BrandA.csv", None),
        ("Copy of BrandA_Briskk_SKU_Template.csv", None),
        ("BrandA_Briskk_SKU_Template (1).csv", None),
        ("Brand A_Briskk_SKU_Template.csv", None),  # shaped like a claim, not a tenant name
        ("export.xlsx", "Copy of BrandA_Briskk_SKU_Templ"),  # 31 characters: cut by Excel
        ("export.xlsx", "Brand A_Briskk_SKU_Template (2)"),
    ],
)
def test_names_tools_give_files_never_reject_an_explicit_tenants_upload(
    harness, tmp_path, name, sheet
):
    path = tmp_path / name
    if sheet is None:
        path.write_bytes(csv_bytes(template_rows(4)))
    else:
        write_xlsx(path, template_rows(4), sheet_name=sheet)
    record = harness.ingest(path, tenant="BrandA")
    assert (record["status"], record["tenant"], record["errors"]) == ("succeeded", "BrandA", [])
    assert record["warnings"] == []
    assert [p["tenant"] for p in harness.products()] == ["BrandA"]


def test_a_valid_claim_of_another_tenant_still_rejects(harness, tmp_path):
    path = tmp_path / "Copy of BrandB_Briskk_SKU_Template.csv"
    path.write_bytes(csv_bytes(template_rows(4)))
    record = harness.ingest(path, tenant="BrandA")
    assert record["status"] == "rejected"
    assert "named for tenant 'BrandB'" in record["errors"][0]["message"]


def test_an_invalid_claim_without_a_tenant_is_still_rejected(harness, tmp_path):
    path = tmp_path / "Brand A_Briskk_SKU_Template.csv"
    path.write_bytes(csv_bytes(template_rows(4)))
    record = harness.ingest(path)
    assert record["status"] == "rejected"
    assert (
        "claims tenant 'Brand A', which is not a valid tenant name"
        in (record["errors"][0]["message"])
    )
