"""The brand upload page in a real browser: Debian's chromium driven by Playwright.

Sign in with a token, upload a workbook of 10 products of which 6 are rejected, read the
result in a brand's words ("loaded with 6 products rejected", in the warning colour), the
problems and the images by row and column, what each marketplace channel still needs,
download the annotated workbook, upload it again (the images it reuses are still listed) and
see both uploads in the history; a wrong token is refused. At 390 px (a phone) and 1280 px
(a laptop) the document never scrolls sideways and no badge or file name is broken over two
lines. The browser is the system's
`/usr/bin/chromium` (Playwright's own download is not reachable; `.ci/run` installs
chromium). With BRISKK_SCREENSHOT=1 it writes the README's pictures to `docs/screenshots/`.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect

from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
WIDTHS = [(1280, 900), (390, 844)]

# Badges, history names, row numbers and column names must stay on one line; a file name may
# wrap only when it is longer than the whole line it is on (a word cut only where it must).
# And the document must not scroll sideways.
LAYOUT_PROBE = """() => {
  const rects = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return Array.from(range.getClientRects()).filter((r) => r.width > 0);
  };
  const lines = (el) => new Set(rects(el).map((r) => Math.round(r.top))).size;
  const visible = (el) => el.offsetParent !== null;
  const one = Array.from(document.querySelectorAll(".status, .uploads .file, td.num, td.key"))
    .filter(visible).filter((el) => lines(el) > 1);
  const needless = Array.from(document.querySelectorAll(".name")).filter(visible)
    .filter((el) => lines(el) > 1)
    .filter((el) => rects(el).reduce((w, r) => w + r.width, 0) <= el.parentElement.clientWidth);
  const broken = one.concat(needless).map((el) => el.className + ": " + el.textContent);
  const root = document.documentElement;
  return {scroll: root.scrollWidth, client: root.clientWidth, broken};
}"""


def ten_products(path: Path) -> Path:
    """10 products (4 rows each); 6 of them rejected, each by one bad cell."""
    rows = template_rows(40)
    for p in range(6):
        rows[4 * p + 1]["offer_price"] = 99999  # row 4p+3: more than its price
    return write_xlsx(path, rows, sheet_name="Sheet1")


def assert_layout_holds(page: Page) -> None:
    probe = page.evaluate(LAYOUT_PROBE)
    assert probe["scroll"] <= probe["client"], f"the page scrolls sideways: {probe}"
    assert probe["broken"] == [], f"broken over lines: {probe['broken']}"


def shoot(page: Page, name: str) -> None:
    if os.environ.get("BRISKK_SCREENSHOT") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.mark.parametrize("viewport", WIDTHS, ids=["laptop", "phone"])
def test_upload_result_report_and_history_at_phone_and_laptop_width(
    api: ApiServer, browser: Browser, tmp_path: Path, viewport: tuple[int, int]
) -> None:
    book = ten_products(tmp_path / "spring-catalogue-2026.xlsx")
    token = api.token(f"Page{viewport[0]}")
    page = browser.new_page(
        viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # uncaught script errors
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

        # today: a green "succeeded" (SUCCEEDED) over 6 of 10 products rejected
        status = page.locator("#result-status")
        expect(status).to_have_text("loaded with 6 products rejected", timeout=60_000)
        expect(status).to_have_class("status warn")
        colour = status.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(255, 241, 214)"  # --warn-bg, not the green of a good upload
        expect(page.locator("#result-file")).to_have_text("spring-catalogue-2026.xlsx")
        expect(page.locator("#c-products")).to_have_text("4")
        expect(page.locator("#c-products-rejected")).to_have_text("6")
        expect(page.locator("#c-rows-rejected")).to_have_text("24")
        expect(page.locator("#problems-title")).to_have_text("6 problems to fix")
        cells = page.locator("#problems tbody tr").first.locator("td")
        expect(cells).to_have_text(["3", "offer_price", "99999", "must not be more than price"])
        # images by row and column (the server runs with image fetching off)
        # P000006 (row 26) main_image, image_1, image_2; P000007 (row 30) … P000009 (row 38)
        expect(page.locator("#images-title")).to_have_text("10 images not stored")
        first_image = page.locator("#images tbody tr").first.locator("td")
        expect(first_image.nth(0)).to_have_text("26")  # P000006's first row
        expect(first_image.nth(1)).to_have_text("main_image")
        expect(first_image.nth(3)).to_contain_text("not fetched")
        # marketplace readiness: no image stored (fetching is off), so no product is ready
        expect(page.locator("#readiness-block")).to_be_visible()
        expect(page.locator("#readiness-counts")).to_contain_text("myntra: 0 of 4 ready")
        expect(page.locator("#readiness tbody tr")).to_have_count(4 * 6)  # products x channels
        expect(page.locator("#readiness")).to_be_hidden()  # folded: the page stays short
        page.click("#readiness-details summary")
        first_channel = page.locator("#readiness tbody tr").first.locator("td")
        expect(first_channel.nth(0)).to_have_text("26")  # P000006, the first product loaded
        expect(first_channel.nth(1)).to_have_text("P000006")
        expect(first_channel.nth(2)).to_have_text("ajio")
        expect(first_channel.nth(3)).to_contain_text("image")
        page.click("#readiness-details summary")  # folded again for the layout and pictures
        page.wait_for_timeout(600)  # the smooth scroll to the result ends
        assert_layout_holds(page)
        shoot(page, f"brand-page-{viewport[0]}.png")

        # the annotated workbook, downloaded with the token
        with page.expect_download() as info:
            page.click("#report")
        download = info.value
        assert download.suggested_filename == "spring-catalogue-2026-report.xlsx"
        workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
        problems = [r for r in workbook["Problems"].iter_rows(min_row=4, values_only=True) if r[3]]
        assert (3, "offer_price", "99999") in {r[:3] for r in problems}
        assert (26, "main_image") in {r[:2] for r in problems}

        # the same file again: its products are unchanged, their images still listed
        page.set_input_files("#file", str(book))
        page.click("#send")
        expect(page.locator("#history li")).to_have_count(2, timeout=60_000)
        expect(page.locator("#images-title")).to_have_text("10 images not stored")
        expect(page.locator("#images tbody tr")).to_have_count(10)
        history = page.locator("#history li")
        expect(history.first).to_contain_text("spring-catalogue-2026.xlsx")
        expect(history.first.locator(".status")).to_have_text("loaded with 6 products rejected")
        assert_layout_holds(page)

        stored = page.evaluate(
            "() => [sessionStorage.getItem('briskk-token'), localStorage.length]"
        )
        assert stored == [token, 0]
        page.click("#sign-out")
        expect(page.locator("#token")).to_be_visible()
        assert page.evaluate("() => sessionStorage.getItem('briskk-token')") is None
        assert errors == []
    finally:
        page.close()


def _upload(upload_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "tenant": "Words",
        "file_name": f"{upload_id}-a-rather-long-catalogue-name-for-the-summer.xlsx",
        "received_at": "2026-12-05T10:00:00+00:00",
        "status": status,
        "products_loaded": 10,
        "skus_loaded": 40,
        "products_rejected": 0,
        "rows_rejected": 0,
        "errors": [],
        "warnings": [],
        "images": {},
        "report_uri": None,
        "rolled_back_at": None,
        **extra,
    }


@pytest.mark.parametrize("viewport", WIDTHS, ids=["laptop", "phone"])
def test_every_status_reads_as_a_brand_would_say_it(
    api: ApiServer, browser: Browser, viewport: tuple[int, int]
) -> None:
    """The page's words for every upload status. The statuses that a test cannot make quickly
    (held for review, rolled back) are served to the page from a recorded list instead of the
    server's, through Playwright's request routing; the rendering is the page's own."""
    uploads = [
        _upload("a", "succeeded"),
        _upload("b", "succeeded", products_rejected=1, rows_rejected=4),
        _upload("c", "rejected", products_loaded=0, skus_loaded=0, products_rejected=10),
        _upload("d", "needs_review", products_loaded=0, skus_loaded=0),
        _upload("e", "succeeded", rolled_back_at="2026-12-05T11:00:00+00:00"),
        _upload("f", "previewed"),
        _upload("g", "failed", failure_reason="the object store is full"),
    ]
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        page.route(
            "**/uploads?limit=50",
            lambda route: route.fulfill(
                status=200, content_type="application/json", body=json.dumps(uploads)
            ),
        )
        page.goto(api.base_url + "/")
        page.fill("#token", api.token("Words"))
        page.click("#sign-in button")
        badges = page.locator("#history .status")
        expect(badges).to_have_text(
            [
                "loaded",
                "loaded with 1 product rejected",
                "rejected",
                "held for review",
                "rolled back",
                "preview only",
                "not processed",
            ]
        )
        tones = [b.get_attribute("class") for b in badges.all()]
        assert tones == [
            f"status {t}" for t in ("ok", "warn", "bad", "warn", "info", "info", "bad")
        ]
        assert_layout_holds(page)
        if viewport[0] < 1000:
            shoot(page, "brand-page-statuses-390.png")

        # a held upload opened: its sentence, and the changes its record announces
        held = dict(
            uploads[3],
            changes={  # catalog/summary.py's shape
                "mode": "merge",
                "products": {"inserted": 0, "updated": 1, "unchanged": 0},
                "skus": {"inserted": 0, "updated": 2, "unchanged": 6, "disabled": 0},
                "values_cleared": 1,
                "shown": 50,
                "updated": [
                    {
                        "row": 3,
                        "product_id": "P1",
                        "sku_id": "P1-1",
                        "column": "price",
                        "old": 999,
                        "new": 4321,
                    },
                ],
                "cleared": [
                    {
                        "row": 4,
                        "product_id": "P1",
                        "sku_id": None,
                        "column": "fit",
                        "old": "Regular",
                        "new": None,
                    },
                ],
                "not_listed": {"skus": 3, "products": []},
            },
        )
        page.route(
            "**/uploads/d",
            lambda route: route.fulfill(
                status=200, content_type="application/json", body=json.dumps(held)
            ),
        )
        page.route(
            "**/uploads/d/images",
            lambda route: route.fulfill(status=200, content_type="application/json", body="[]"),
        )
        page.locator("#history button").nth(3).click()
        expect(page.locator("#result-status")).to_have_text("held for review")
        expect(page.locator("#result-words")).to_contain_text("Nothing is loaded yet")
        expect(page.locator("#changes li")).to_have_text(
            [
                "1 product updated, 2 SKUs updated, 6 SKUs unchanged, 1 stored value cleared by "
                "blank cells, 3 SKUs not in this file, kept as they are",
                "changed (row 3, P1-1, price): 999 → 4321",
                "cleared by a blank cell (row 4, P1, fit): Regular → (blank)",
            ]
        )
        expect(page.locator("#report-line")).to_be_hidden()  # no report_uri
        assert_layout_holds(page)
    finally:
        page.close()
