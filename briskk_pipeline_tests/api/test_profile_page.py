"""Brand profiles over HTTP and on the brand page (issue 22), against a real `briskk serve`.

The page step in Chromium: a workbook whose headers are the brand's own is rejected; the page
shows a mapping form with the suggested template column preselected; the brand saves it; the
mapping is stored in the profile and the upload runs again and loads. The routes: a brand token
reads and maps its own tenant only, an admin token names one; `PUT /profile?dry_run=true`
answers the differences only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

pytestmark = pytest.mark.e2e

BRAND_HEADER = {
    "price": "MRP",
    "offer_price": "Selling Price",
    "stock": "Qty",
    "sku_id": "SKU Code",
}


def test_header_mismatch_map_on_the_page_rerun_loaded(
    api: ApiServer, browser: Browser, tmp_path: Path
) -> None:
    book = write_xlsx(
        tmp_path / "our-own-headers.xlsx",
        template_rows(8),
        sheet_name="Sheet1",
        header=BRAND_HEADER,
        extra_columns={"Internal Notes": ["keep"] * 8},
    )
    token = api.token("MapBrand")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(api.base_url + "/")
        page.fill("#token", token)
        page.click("#sign-in button")
        expect(page.locator("#who-tenant")).to_have_text("Tenant MapBrand")
        page.set_input_files("#file", str(book))
        page.click("#send")
        expect(page.locator("#result-status")).to_have_text("rejected", timeout=60_000)

        form = page.locator("#mapping")
        expect(form).to_be_visible()
        expect(page.locator("#mapping-missing")).to_contain_text("price")
        # what maps where is a problem a brand reads; the operator's command is not (the form is)
        problems = page.locator("#problems tbody")
        expect(problems).to_contain_text("suggested mapping of your headers")
        expect(problems).not_to_contain_text("briskk profile map")
        # the suggestions preselected, one per unknown header; nothing stored yet
        chosen = {
            page.locator(f"label[for='{s.get_attribute('id')}']").text_content(): s.input_value()
            for s in page.locator("#mapping-table select").all()
        }
        assert chosen == {
            "SKU Code": "sku_id",
            "MRP": "price",
            "Selling Price": "offer_price",
            "Qty": "stock",
            "Internal Notes": "",
        }
        with api.client(token) as client:
            assert client.get("/profile").json()["version"] == 0

        notes = page.locator("#mapping-table select").nth(4)
        notes.select_option("-")  # not a product column: ignore it
        page.click("#mapping-save")
        expect(page.locator("#result-status")).to_have_text("loaded", timeout=90_000)
        expect(page.locator("#c-skus")).to_have_text("8")
        expect(form).to_be_hidden()
        assert errors == []
    finally:
        page.close()

    with api.client(token) as client:
        profile = client.get("/profile").json()
        assert profile["version"] == 1
        assert profile["header_aliases"] == {
            "MRP": "price",
            "Qty": "stock",
            "SKU Code": "sku_id",
            "Selling Price": "offer_price",
        }
        assert profile["ignore_columns"] == ["Internal Notes"]
        [upload] = client.get("/uploads").json()
        assert upload["status"] == "succeeded" and upload["profile_version"] == 1
        assert not any("Internal Notes" in w for w in upload["warnings"])
        history = client.get("/profile/history").json()
        assert history[0]["upload_id"] == upload["upload_id"]
        assert history[0]["changed_by"].startswith("api token ")


def test_profile_routes_keep_each_brand_to_its_own_tenant(api: ApiServer, tmp_path: Path) -> None:
    brand, other = api.token("RouteBrand"), api.token("OtherBrand")
    admin = api.token("ops", admin=True)
    with api.client(brand) as client:
        assert client.get("/profile", params={"tenant": "OtherBrand"}).status_code == 403
        mapped = client.post("/profile/map", json={"aliases": {"Selling Price": "offer_price"}})
        assert mapped.status_code == 200
        assert mapped.json() == {
            "tenant": "RouteBrand",
            "version": 1,
            "changes": ["+ header alias 'Selling Price' -> 'offer_price'"],
        }
        bad = client.post("/profile/map", json={"aliases": {"Selling Price": "offer_prise"}})
        assert bad.status_code == 400 and "not a template column" in bad.json()["detail"]
        preview = client.put(
            "/profile",
            params={"dry_run": "true"},
            content='{"version": 1, "value_maps": {"color": {"Navy Blue": "Navy"}}}',
        )
        assert preview.status_code == 200
        assert preview.json()["changes"] == [
            "- header alias 'Selling Price' -> 'offer_price'",
            "+ value map color: 'Navy Blue' -> 'Navy'",
        ]
        assert client.get("/profile").json()["version"] == 1  # a dry run stores nothing
        stale = client.put("/profile", content="version: 0\nstrict_columns: [fit]\n")
        assert stale.status_code == 409
    with api.client(other) as client:
        assert client.get("/profile").json()["header_aliases"] == {}
    with api.client(admin) as client:
        assert client.get("/profile").status_code == 400  # an admin names the tenant
        seen = client.get("/profile", params={"tenant": "routebrand"}).json()
        assert seen["header_aliases"] == {"Selling Price": "offer_price"}

    # the brand's next CSV with that header loads with no step (through POST /ingest)
    data = csv_bytes(template_rows(4), header={"offer_price": "Selling Price"})
    with api.client(brand) as client:
        done = client.post(
            "/ingest",
            params={"wait": 55},
            files={"file": ("RouteBrand_Briskk_SKU_Template.csv", data)},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "succeeded" and done.json()["profile_version"] == 1
