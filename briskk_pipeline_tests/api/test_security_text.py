"""The API's standing security suite, part 3: what brands write (issue 20, item 4).

Through a real `briskk serve` (`conftest.api`), Chromium (Debian's, through Playwright) and
openpyxl:

- **File names** with `../`, an absolute path, a Windows path, NUL, 1,000 characters and
  right-to-left marks, through `POST /ingest` and through the inbox (the sensor, as the daemon
  runs it): every upload is recorded; the name is stored as the last part of the path with any
  character the catalog refuses as a visible escape (safe_text), the rest as sent; the
  download names are safe (no control or bidirectional character, no path); the page shows
  bidirectional controls as visible escapes, so `\\u202e` cannot turn `xslx.exe` into
  `exe.xlsx` on screen.
- **Product text** with `<script>`, `"><img onerror=…>` and formula prefixes (`=`, `+`, `-`,
  `@`, tab, CR) stays inert: shown as text on the brand page (no dialog opens, no element is
  made of it), in `/docs` (Swagger UI's "Try it out" shows the body as text), in JSON (the
  value as sent), and in the annotated workbook: every cell of it is a string (`data_type
  "s"`), never a formula.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from playwright.sync_api import Browser, Dialog, Page

from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.register import MAX_ARCHIVE_NAME
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.api.server import ApiServer
from briskk_pipeline_tests.harness import make_harness
from briskk_pipeline_tests.ingest.test_sensor import Ticker, _resources
from briskk_pipeline_tests.workbooks import Text, csv_bytes, template_rows, write_xlsx

pytestmark = pytest.mark.e2e

LONG = "n" * 995 + ".xlsx"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# name sent -> name recorded
API_NAMES = {
    "../../etc/passwd.xlsx": "passwd.xlsx",
    "/etc/cron.d/evil.xlsx": "evil.xlsx",
    "C:\\Users\\brand\\..\\book.xlsx": "book.xlsx",
    "a\x00b.xlsx": "a\\x00b.xlsx",
    LONG: LONG,
    "invoice\u202excod.xlsx": "invoice\u202excod.xlsx",  # shows as invoicexslx.docx
    "\u200fcatalogue \u2067summer\u2069.xlsx": "\u200fcatalogue \u2067summer\u2069.xlsx",
}
ATTACKS = {
    "script": "<script>alert('script')</script>",
    "img": '"><img src=x onerror="alert(\'img\')">',
    "equals": '=HYPERLINK("http://evil.example/","click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}


def safe_download_name(header: str) -> None:
    """A Content-Disposition whose names hold no path, control or bidirectional character."""
    assert "\r" not in header and "\n" not in header, header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.isprintable(), header
    assert "/" not in fallback and "\\" not in fallback and fallback not in ("", ".", ".."), header
    real = unquote(header.split("filename*=UTF-8''", 1)[1])
    assert "/" not in real and "\\" not in real, header
    assert not any(c in BIDI or ord(c) < 32 for c in real), repr(real)


# ----------------------------------------------------------------------------- file names


def workbook_bytes(tmp_path: Path, seed: int = 7) -> bytes:
    """Two products, one rejected (so the upload has a report to download)."""
    rows = template_rows(8, seed=seed, product_prefix=f"S{seed}P")  # products of its own
    rows[5]["offer_price"] = 999999
    return write_xlsx(tmp_path / f"book{seed}.xlsx", rows, sheet_name="Sheet1").read_bytes()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return workbook_bytes(tmp_path_factory.mktemp("names"))


def multipart(file_name: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    """A multipart body whose `filename` holds `file_name`'s UTF-8 bytes as they are (httpx
    would percent-encode a NUL), as a browser or a hand-written client may send it."""
    head = (
        b'--BND\r\nContent-Disposition: form-data; name="file"; filename="'
        + file_name.encode("utf-8").replace(b'"', b"%22")
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    return head + data + b"\r\n--BND--\r\n", {"content-type": "multipart/form-data; boundary=BND"}


@pytest.mark.parametrize("sent", list(API_NAMES), ids=lambda n: repr(n)[:24])
def test_a_hostile_file_name_through_post_ingest(api: ApiServer, book: bytes, sent: str) -> None:
    client = api.client(api.token("NameBrand"))
    body, headers = multipart(sent, book)
    response = client.post("/ingest?wait=60", content=body, headers=headers)
    assert response.status_code == 200, response.text
    upload_id = response.json()["upload_id"]
    record = client.get(f"/uploads/{upload_id}").json()
    assert record["file_name"] == API_NAMES[sent]
    assert record["status"] == "succeeded", record["errors"]
    original = client.get(f"/uploads/{upload_id}/original")
    assert original.status_code == 200 and original.content == book
    safe_download_name(original.headers["content-disposition"])
    report = client.get(f"/uploads/{upload_id}/report")
    assert report.status_code == 200, report.text
    safe_download_name(report.headers["content-disposition"])
    archive = uploads.get_upload(api.engine, upload_id)
    assert archive is not None
    key = archive["archive_key"]
    assert key.startswith(f"archive/NameBrand/{upload_id}/") and ".." not in key.split("/")[-1]
    assert len(key.split("/")[-1]) <= MAX_ARCHIVE_NAME


def test_hostile_file_names_through_the_inbox(api: ApiServer, book: bytes, tmp_path: Path) -> None:
    """Names a file system can hold: right-to-left marks, a backslash path, a 255-byte name,
    bytes that are not UTF-8; the sensor registers each, its run ends, the API shows it."""
    inbox = tmp_path / "inbox"
    folder = inbox / "InboxNames"
    folder.mkdir(parents=True)
    names = {
        "invoice\u202excod.xlsx": "invoice\u202excod.xlsx",
        "C:\\Users\\..\\evil.xlsx": "C:\\Users\\..\\evil.xlsx",  # one name on Linux
        "m" * 250 + ".xlsx": "m" * 250 + ".xlsx",
    }
    for seed, name in enumerate(names):
        (folder / name).write_bytes(workbook_bytes(tmp_path, seed))
    with open(folder.as_posix().encode() + b"/caf\xe9.xlsx", "wb") as handle:  # Latin-1
        handle.write(workbook_bytes(tmp_path, 99))
    names["caf\udce9.xlsx"] = "caf\\udce9.xlsx"
    store = LocalObjectStore(root=str(api.home / "objects"))
    harness = make_harness(api.database_url, store, tmp_path, fetch_images=False)
    tick = Ticker(harness.instance, _resources(tmp_path, inbox, api.database_url, store))
    tick()  # first sight: sizes remembered
    tick()
    registered = {
        r["file_name"]: r["upload_id"]
        for r in uploads.list_uploads(api.engine, "InboxNames", limit=100)
    }
    assert sorted(registered) == sorted(names.values())
    client = api.client(api.token("InboxNames"))
    for upload_id in registered.values():
        harness.instance.add_dynamic_partitions("uploads", [upload_id])
        result = harness.run(upload_id, raise_on_error=False)
        record = client.get(f"/uploads/{upload_id}").json()
        assert record["status"] == "succeeded", (result.success, record)
        for path in ("original", "report"):
            response = client.get(f"/uploads/{upload_id}/{path}")
            assert response.status_code == 200, response.text
            safe_download_name(response.headers["content-disposition"])


# ---------------------------------------------------------------------------- product text


def hostile_rows() -> list[dict[str, Any]]:
    """One loaded product per attack (its name, description and bullet points are the attack)
    and one rejected product per attack (its offer_price cell is the attack: the page's
    problems table quotes it)."""
    rows = template_rows(2 * len(ATTACKS), skus_per_product=1, product_prefix="HOST")
    for i, attack in enumerate(ATTACKS.values()):
        loaded, rejected = rows[i], rows[len(ATTACKS) + i]
        for column in ("product_name", "product_description", "bullet_points", "color"):
            loaded[column] = Text(attack)
        rejected["offer_price"] = Text(attack)
    return rows


@dataclass
class Hostile:
    token: str
    uploads: dict[str, str]  # "csv" | "xlsx" -> upload_id


@pytest.fixture(scope="module")
def hostile(api: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    token = api.token("Hostile")
    client = api.client(token)
    rows = hostile_rows()
    xlsx = write_xlsx(tmp_path_factory.mktemp("hostile") / "h.xlsx", rows, sheet_name="Sheet1")
    found = {}
    for kind, name, data in (
        ("xlsx", "hostile.xlsx", xlsx.read_bytes()),
        ("csv", "hostile.csv", csv_bytes(rows)),
    ):
        response = client.post("/ingest?wait=60", files={"file": (name, data)})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["products_loaded"] == len(ATTACKS), body
        assert body["products_rejected"] == len(ATTACKS), body
        found[kind] = body["upload_id"]
    return Hostile(token, found)


def test_product_text_is_data_in_json(api: ApiServer, hostile: Hostile) -> None:
    products = api.client(hostile.token).get("/products?limit=1000")
    assert products.headers["content-type"] == "application/json"
    names = sorted(p["product_name"] for p in json.loads(products.content))
    # each attack as sent (at most its surrounding white space trimmed, as every cell is)
    assert names == sorted(a.strip() for a in ATTACKS.values())
    upload = api.client(hostile.token).get(f"/uploads/{hostile.uploads['csv']}").json()
    assert sorted(e["value"] for e in upload["errors"]) == sorted(
        a.strip() for a in ATTACKS.values()
    )


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_every_cell_of_the_report_is_a_string_never_a_formula(
    api: ApiServer, hostile: Hostile, kind: str
) -> None:
    report = api.client(hostile.token).get(f"/uploads/{hostile.uploads[kind]}/report")
    assert report.status_code == 200, report.text
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    seen.add(cell.value.strip())
    missing = {a.strip() for a in ATTACKS.values()} - seen
    assert not missing, f"attacks not in the report at all: {missing}"


def watched_page(browser: Browser, dialogs: list[str]) -> Page:
    page = browser.new_page()

    def dialog(d: Dialog) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    return page


INJECTED = """() => ({
  inline: document.querySelectorAll('script:not([src])').length,
  img: document.querySelectorAll('img[src="x"], img[onerror]').length,
})"""


def test_product_text_is_inert_on_the_brand_page(
    api: ApiServer, hostile: Hostile, browser: Browser
) -> None:
    dialogs: list[str] = []
    page = watched_page(browser, dialogs)
    try:
        page.goto(api.base_url + "/")
        page.fill("#token", hostile.token)
        page.click("#sign-in button")
        for upload_id in hostile.uploads.values():
            page.click(f'button[data-upload-id="{upload_id}"]')
            cells = page.locator("#problems tbody td")
            cells.first.wait_for(timeout=30_000)
            values = page.eval_on_selector_all(
                "#problems tbody tr", "rows => rows.map(r => r.children[2].textContent)"
            )
            assert sorted(values) == sorted(a.strip() for a in ATTACKS.values())
            assert page.evaluate(INJECTED) == {"inline": 0, "img": 0}
    finally:
        page.close()
    assert dialogs == []


def test_product_text_is_inert_in_docs(api: ApiServer, hostile: Hostile, browser: Browser) -> None:
    """Swagger UI's "Try it out" on GET /products shows the hostile names as text."""
    dialogs: list[str] = []
    page = watched_page(browser, dialogs)
    try:
        page.goto(api.base_url + "/docs")
        page.click("button.authorize", timeout=30_000)
        page.fill(".auth-container input", hostile.token)
        page.click(".auth-btn-wrapper button.authorize")
        page.click("button.btn-done")
        operation = page.locator("#operations-products-list_products_products_get")
        operation.locator(".opblock-summary").click()
        operation.locator(".try-out__btn").click()
        operation.locator("button.execute").click()
        body = operation.locator(".live-responses-table .response-col_description pre").first
        body.wait_for(timeout=30_000)
        text = body.inner_text()
        assert ATTACKS["script"] in text and "onerror" in text, text[:500]
        assert page.evaluate(INJECTED) == {"inline": 0, "img": 0}
    finally:
        page.close()
    assert dialogs == []
