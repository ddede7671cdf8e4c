"""CSV as Excel and other tools write it, and files that only pretend to be spreadsheets.

Every file here is written by code: delimiters (`,` `;` tab), encodings (UTF-8 with and
without BOM, UTF-16 as Excel's "Unicode Text" writes it, Windows-1252 as plain "CSV" does),
unreadable bytes, and HTML/PDF/images/XML 2003/archives renamed as .csv, .xls or .xlsx.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zipfile
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
import pytest

from briskk_pipeline.ingest.reader import read_upload
from briskk_pipeline.template import COLUMN_NAMES
from briskk_pipeline.validation.report import FileRejected, Problem
from briskk_pipeline_tests.fixtures.http import make_image
from briskk_pipeline_tests.harness import Harness, make_harness
from briskk_pipeline_tests.workbooks import REAL_HEADER, template_rows

HEADER = [REAL_HEADER[n] for n in COLUMN_NAMES]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def template_text(
    rows: Sequence[dict[str, Any]],
    *,
    delimiter: str = ",",
    leading: Sequence[Sequence[str]] = (),
    header: Sequence[str] = HEADER,
) -> str:
    """The template as CSV text, as Excel writes it (CRLF, minimal quoting)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerows(leading)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(row.get(n)) for n in COLUMN_NAMES])
    return buffer.getvalue()


def read(data: bytes, name: str = "BrandA_Briskk_SKU_Template.csv"):
    return read_upload(data, name, max_rows=800)


def rejection(data: bytes, name: str = "upload.csv") -> list[Problem]:
    with pytest.raises(FileRejected) as rejected:
        read(data, name)
    return rejected.value.problems


# ------------------------------------------------------------------------------ delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_delimiter_is_the_one_that_makes_the_header_match(delimiter):
    rows = template_rows(2)
    rows[0]["product_name"] = 'Shirt, blue; soft\t"oversized"'  # every delimiter, quoted
    rows[0]["price"] = "1299,50"  # decimal comma, as European Excel writes it
    rows[0]["offer_price"] = "999,00"
    rows[1]["front_length_in"] = "27,5"
    sheet = read(template_text(rows, delimiter=delimiter).encode())
    frame = sheet.frame
    assert list(frame.index) == [2, 3]
    assert frame.at[2, "product_name"] == 'Shirt, blue; soft\t"oversized"'
    assert (frame.at[2, "price"], frame.at[2, "offer_price"]) == ("1299,50", "999,00")
    assert frame.at[3, "front_length_in"] == "27,5"
    assert frame.at[3, "sku_id"] == "P000000-1"
    assert sheet.warnings == []


def test_semicolon_file_with_title_rows_keeps_decimal_commas_as_text():
    rows = template_rows(3)
    for row in rows:
        row["price"], row["offer_price"], row["chest_bust_in"] = "1.299,50", "1.099,5", "38,25"
    text = template_text(rows, delimiter=";", leading=[["Catalogue BrandA"], []])
    frame = read(text.encode()).frame
    assert list(frame.index) == [4, 5, 6]  # header on row 3
    assert frame["price"].tolist() == ["1.299,50"] * 3
    assert frame["offer_price"].tolist() == ["1.099,5"] * 3
    assert frame["chest_bust_in"].tolist() == ["38,25"] * 3


def test_no_delimiter_makes_a_template_header():
    text = template_text(template_rows(1)).replace(",", "|")
    (problem,) = rejection(text.encode())
    assert problem.row is None
    assert "no header row with the template's columns" in problem.message
    assert "separated by commas, semicolons or tabs" in problem.message


# ------------------------------------------------------------------------------ rows


def test_quoted_line_breaks_stay_in_one_row():
    rows = template_rows(3)
    rows[0]["product_description"] = "Soft cotton.\r\nMachine wash.\nNo bleach."
    rows[1]["bullet_points"] = "- one\n- two"
    frame = read(template_text(rows).encode()).frame
    assert list(frame.index) == [2, 3, 4]  # rows are records, as Excel numbers them
    assert frame.at[2, "product_description"] == "Soft cotton.\r\nMachine wash.\nNo bleach."
    assert frame.at[3, "bullet_points"] == "- one\n- two"
    assert frame.at[4, "sku_id"] == "P000000-2"


def test_short_records_and_blank_lines_keep_numbering():
    # A tool that drops trailing empty fields, and blank lines: the csv module path.
    rows = template_rows(3)
    lines = template_text(rows).split("\r\n")
    lines[2] = lines[2].rsplit(",", 3)[0]  # row 3 without its last 3 fields
    lines.insert(3, "")  # a blank row 4
    frame = read("\r\n".join(lines).encode()).frame
    assert list(frame.index) == [2, 3, 5]
    assert frame.at[3, "sku_id"] == "P000000-1"
    assert pd.isna(frame.at[3, "is_disabled"])
    assert frame.at[5, "sku_id"] == "P000000-2"


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["crlf", "lf", "cr-mac"])
def test_line_ends(newline):
    text = template_text(template_rows(2)).replace("\r\n", newline)
    frame = read(text.encode()).frame
    assert list(frame.index) == [2, 3]
    assert frame.at[3, "is_disabled"] == "FALSE"


def test_csv_renamed_as_xlsx_is_read_as_csv():
    frame = read(template_text(template_rows(1)).encode(), "BrandA_Briskk_SKU_Template.xlsx").frame
    assert frame.at[2, "product_id"] == "P000000"


# ------------------------------------------------------------------------------ encodings

NAME = "Café Crème – 20 € off"
WINDOWS_1252_WARNING = (
    "the file is not UTF-8, so it was read as Windows-1252 (what Excel's plain 'CSV' "
    "writes): check that accented letters and symbols read right, e.g. row 2, column "
    "product_name: 'Café Crème – 20 € off' (save as 'CSV UTF-8' to be sure)"
)


@pytest.mark.parametrize(
    ("delimiter", "encode", "warnings"),
    [
        (",", lambda t: t.encode("utf-8"), []),
        (",", lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), []),
        ("\t", lambda t: t.encode("utf-16"), []),  # Excel "Unicode Text": LE, BOM, tabs
        ("\t", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), []),
        ("\t", lambda t: t.encode("utf-16-le"), []),  # no BOM: NULs give it away
        (";", lambda t: t.encode("cp1252"), [WINDOWS_1252_WARNING]),  # plain "CSV", Europe
        (",", lambda t: t.encode("cp1252"), [WINDOWS_1252_WARNING]),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16-le-bom",
        "utf16-be-bom",
        "utf16-le-no-bom",
        "cp1252-semi",
        "cp1252",
    ],
)
def test_encodings_read_every_letter(delimiter, encode, warnings):
    rows = template_rows(2)
    rows[0]["product_name"] = NAME
    rows[1]["product_name"] = NAME
    rows[1]["color"] = "Crème brûlée"
    data = encode(template_text(rows, delimiter=delimiter))
    sheet = read(data)
    assert sheet.frame.at[2, "product_id"] == "P000000"  # no BOM glued to the header
    assert sheet.frame.at[2, "product_name"] == NAME
    assert sheet.frame.at[3, "color"] == "Crème brûlée"
    assert sheet.tenant_claim == "BrandA"
    assert sheet.warnings == warnings


def test_windows_1252_letters_that_look_like_utf8_stay_windows_1252():
    # "ß“" is DF 93 in Windows-1252: also a well-formed UTF-8 letter; the other accents win.
    rows = template_rows(1)
    rows[0]["product_name"] = "„Straße“ Grün, été"
    sheet = read(template_text(rows).encode("cp1252"))
    assert sheet.frame.at[2, "product_name"] == "„Straße“ Grün, été"
    assert len(sheet.warnings) == 1 and "read as Windows-1252" in sheet.warnings[0]


def test_excel_unicode_text_starts_with_a_little_endian_bom():
    assert "x".encode("utf-16").startswith(codecs.BOM_UTF16_LE)  # what the table above relies on


def _with_bad_byte(text: str, encoding: str, bad: bytes, prefix: bytes = b"") -> bytes:
    head, tail = text.split("@BAD@")
    return prefix + head.encode(encoding) + bad + tail.encode(encoding)


@pytest.mark.parametrize(
    ("make", "row", "column", "byte"),
    [
        # not UTF-8, and 0x81 means nothing in Windows-1252
        (lambda t: _with_bad_byte(t, "cp1252", b"\x81"), 3, "product_name", "0x81"),
        # says UTF-8 (BOM) but is not
        (lambda t: _with_bad_byte(t, "utf-8", b"\xff", codecs.BOM_UTF8), 3, "product_name", "0xFF"),
        # says UTF-16 (BOM) but holds half a character (a lone surrogate)
        (
            lambda t: _with_bad_byte(
                t, "utf-16-le", "\ud800".encode("utf-16-le", "surrogatepass"), codecs.BOM_UTF16_LE
            ),
            3,
            "product_name",
            "0x00",
        ),
        # UTF-8 (its "é" are UTF-8) with one Windows-1252 "é" pasted in
        (lambda t: _with_bad_byte(t, "utf-8", b"\xe9"), 3, "product_name", "0xE9"),
    ],
    ids=["cp1252-undefined", "utf8-bom-invalid", "utf16-lone-surrogate", "utf8-stray-cp1252"],
)
def test_unreadable_byte_rejects_the_file_naming_row_and_column(make, row, column, byte):
    rows = template_rows(3)
    rows[0]["product_description"] = "Two lines\r\nin one cell"  # rows count records, not lines
    rows[1]["product_name"] = "Caf@BAD@ shirt"
    rows[2]["color"] = "Bleu foncé"
    (problem,) = rejection(make(template_text(rows)))
    assert (problem.row, problem.column, problem.value) == (row, column, "Caf\ufffd shirt")
    assert f"byte {byte} in this cell" in problem.message
    assert "save the file from Excel as 'CSV UTF-8'" in problem.message


def test_unreadable_byte_in_the_header_names_the_column_letter():
    header = [*HEADER, "Notes @BAD@"]  # the 46th column: AT
    text = template_text(template_rows(1), header=header)
    (problem,) = rejection(_with_bad_byte(text, "cp1252", b"\x9d"))
    assert (problem.row, problem.column, problem.value) == (1, "AT", "Notes \ufffd")
    assert "byte 0x9D in this cell" in problem.message
    assert "means nothing in Windows-1252" in problem.message


# ------------------------------------------------------------------------------ not spreadsheets


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
_HTML_PAGE = "<html><head><title>Sign in</title></head><body><form></form></body></html>"
_HTML_TABLE = "<table><tr><td>product_id</td><td>sku_id</td></tr></table>"
_XML_2003 = (
    '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/>'
    "</Workbook>"
)

NOT_SPREADSHEETS: list[tuple[str, Callable[[], bytes], str]] = [
    (
        "html-doctype",
        lambda: b"\xef\xbb\xbf \r\n<!DOCTYPE html>" + _HTML_PAGE.encode(),
        "a web page (HTML)",
    ),
    ("html-login-page", lambda: _HTML_PAGE.encode(), "a web page (HTML)"),
    ("html-table-export", lambda: _HTML_TABLE.encode(), "a web page (HTML)"),
    ("html-utf16", lambda: _HTML_TABLE.encode("utf-16"), "a web page (HTML)"),
    ("pdf", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF document"),
    ("png", lambda: make_image("PNG"), "an image (PNG)"),
    ("jpeg", lambda: make_image("JPEG"), "an image (JPEG)"),
    ("gif", lambda: make_image("GIF"), "an image (GIF)"),
    ("xml-2003", lambda: _XML_2003.encode(), "an 'XML Spreadsheet 2003' file"),
    ("xml-other", lambda: b'<?xml version="1.0"?><catalog/>', "an XML document"),
    ("gzip", lambda: gzip.compress(b"product_id,sku_id\n"), "a gzip archive"),
    (
        "numbers",
        lambda: _zip({"Index/Document.iwa": b"\x00", "Metadata/x.plist": b""}),
        "an Apple Numbers document",
    ),
    (
        "docx",
        lambda: _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
        "a Word document",
    ),
    ("zip-of-xlsx", lambda: _zip({"catalog.xlsx": b"PK"}), "a zip archive (catalog.xlsx)"),
    (
        "ole-encrypted",
        lambda: _OLE + "EncryptedPackage".encode("utf-16-le"),
        "protected with a password",
    ),
    ("ole-word", lambda: _OLE + "WordDocument".encode("utf-16-le"), "a Word document"),
    ("binary", lambda: b"\x01\x02\x00\x00garbage\x00" * 20, "a binary file"),
]


@pytest.mark.parametrize("name", ["upload.csv", "upload.xls", "upload.xlsx"])
@pytest.mark.parametrize(
    ("make", "what"),
    [(make, what) for _, make, what in NOT_SPREADSHEETS],
    ids=[case for case, _, _ in NOT_SPREADSHEETS],
)
def test_a_file_that_is_not_a_spreadsheet_is_named_for_what_it_is(make, what, name):
    (problem,) = rejection(make(), name)
    assert problem.row is None
    assert what in problem.message
    assert "CSV file" not in problem.message
    if "password" not in what:
        assert problem.message.startswith(f"this file is {what}, not a spreadsheet: ")


def test_html_message_says_what_to_do():
    (problem,) = rejection(_HTML_TABLE.encode(), "export.xls")
    assert problem.message == (
        "this file is a web page (HTML), not a spreadsheet: if a website gave it to you as an "
        "Excel export, open it in Excel and save it as .xlsx (or 'CSV UTF-8'), then upload "
        "that file; if it is a login or error page, download the real file again"
    )


def _ods(sheet: str, rows: Sequence[Sequence[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet, as LibreOffice would save it."""

    def cell(value: str) -> str:
        return (
            '<table:table-cell office:value-type="string">'
            f"<text:p>{escape(value)}</text:p></table:table-cell>"
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "META-INF/manifest.xml": manifest.encode(),
            "content.xml": content.encode(),
        }
    )


def test_opendocument_spreadsheet_goes_to_the_workbook_reader():
    rows = template_rows(2)
    rows[0]["product_name"] = NAME
    records = [HEADER, *([cell(r.get(n)) for n in COLUMN_NAMES] for r in rows)]
    sheet = read(_ods("BrandA_Briskk_SKU_Template", records), "catalog.ods")
    assert sheet.sheet_name == "BrandA_Briskk_SKU_Template"
    assert list(sheet.frame.index) == [2, 3]
    assert sheet.frame.at[2, "product_name"] == NAME


# ------------------------------------------------------------------------------ end to end


@pytest.fixture
def harness(database_url, local_store, tmp_path) -> Harness:
    return make_harness(database_url, local_store, tmp_path, fetch_images=False)


def test_european_excel_csv_loads_with_its_accents(harness, tmp_path):
    """Excel's plain "CSV" in a European locale: `;`, Windows-1252, through `ingest_job`."""
    rows = template_rows(4)
    for row in rows:
        row["product_name"] = "Café Crème shirt"
        row["material"] = "Coton bio – 100 %"
    rows[0]["color"] = "Bleu foncé"
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    path.write_bytes(template_text(rows, delimiter=";").encode("cp1252"))
    record = harness.ingest(path)
    assert (record["status"], record["products_loaded"], record["skus_loaded"]) == (
        "succeeded",
        1,
        4,
    )
    assert record["tenant"] == "BrandA"
    assert any(
        "read as Windows-1252" in w and "'Café Crème shirt'" in w for w in record["warnings"]
    )
    (product,) = harness.products("BrandA")
    assert product["product_name"] == "Café Crème shirt"
    assert product["material"] == "Coton bio – 100 %"
    skus = {s["sku_id"]: s for s in product["skus"]}
    assert skus["P000000-0"]["color"] == "Bleu foncé"
    assert skus["P000000-1"]["price"] == float(str(rows[1]["price"]))


def test_unreadable_byte_is_rejected_end_to_end_with_its_row(harness, tmp_path):
    rows = template_rows(4)
    rows[2]["color"] = "Gr@BAD@n"
    path = tmp_path / "BrandA_Briskk_SKU_Template.csv"
    path.write_bytes(_with_bad_byte(template_text(rows, delimiter=";"), "cp1252", b"\x8f"))
    record = harness.ingest(path)
    assert record["status"] == "rejected"
    assert [(e["row"], e["column"], e["value"]) for e in record["errors"]] == [
        (4, "color", "Gr\ufffdn")
    ]
    assert "byte 0x8F in this cell" in record["errors"][0]["message"]
    assert harness.products() == []


def test_file_that_is_a_web_page_is_rejected_end_to_end(harness, tmp_path):
    path = tmp_path / "BrandA_Briskk_SKU_Template.xls"
    path.write_bytes(_HTML_TABLE.encode())
    record = harness.ingest(path)
    assert record["status"] == "rejected"
    assert [e["message"][:60] for e in record["errors"]] == [
        "this file is a web page (HTML), not a spreadsheet: if a webs"
    ]
    assert harness.products() == []
