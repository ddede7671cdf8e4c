"""The brand upload page in a real browser: Debian's chromium driven by Playwright.

Sign in with a token, upload a workbook with one bad row, see the counts and the problem row,
see the upload in the history; a wrong token is refused on the page. The browser is the
system's `/usr/bin/chromium` (Playwright's own download is not reachable; `.ci/run` installs
chromium). Also writes `docs/brand-page.png` when BRISKK_SCREENSHOT=1 (the README's picture).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_sign_in_upload_and_see_the_problem_and_history(
    api: ApiServer, browser: Browser, tmp_path: Path, viewport: tuple[int, int]
) -> None:
    rows = template_rows(12)
    rows[5]["offer_price"] = "5000"  # row 7: more than its price, rejects P000001
    book = tmp_path / "spring-catalog.xlsx"
    write_xlsx(book, rows, sheet_name="Sheet1")
    token = api.token(f"Page{viewport[0]}")
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        page.goto(api.base_url + "/")
        page.fill("#token", "brk_000000000000_" + "x" * 43)
        page.click("#sign-in button")
        expect(page.locator("#sign-in-error")).to_contain_text("not valid")

        page.fill("#token", token)
        page.click("#sign-in button")
        expect(page.locator("#who-tenant")).to_have_text(f"Tenant Page{viewport[0]}")
        expect(page.locator("#history-empty")).to_be_visible()
        page.set_input_files("#file", str(book))
        page.click("#send")

        expect(page.locator("#result-status")).to_have_text("succeeded", timeout=60_000)
        expect(page.locator("#result-file")).to_have_text("spring-catalog.xlsx")
        expect(page.locator("#c-products")).to_have_text("2")
        expect(page.locator("#c-skus")).to_have_text("8")
        expect(page.locator("#c-products-rejected")).to_have_text("1")
        expect(page.locator("#c-rows-rejected")).to_have_text("4")
        expect(page.locator("#problems-title")).to_have_text("1 problem to fix")
        cells = page.locator("#problems tbody tr").first.locator("td")
        expect(cells).to_have_text(["7", "offer_price", "5000", "must not be more than price"])
        expect(page.locator("#images-block")).to_be_visible()
        expect(page.locator("#images tbody tr").first).to_contain_text("failed")
        history = page.locator("#history tbody tr")
        expect(history).to_have_count(1)
        expect(history.first).to_contain_text("spring-catalog.xlsx")
        expect(history.first).to_contain_text("succeeded")
        # the token lives in this tab's session only
        stored = page.evaluate(
            "() => [sessionStorage.getItem('briskk-token'), localStorage.length]"
        )
        assert stored == [token, 0]
        if os.environ.get("BRISKK_SCREENSHOT") == "1" and viewport[0] > 1000:
            page.set_viewport_size({"width": 1000, "height": 1250})
            page.screenshot(path=str(REPO / "docs" / "brand-page.png"), full_page=True)
        page.click("#sign-out")
        expect(page.locator("#token")).to_be_visible()
        assert page.evaluate("() => sessionStorage.getItem('briskk-token')") is None
    finally:
        page.close()
