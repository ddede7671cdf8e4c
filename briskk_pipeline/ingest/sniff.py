"""What an upload really is, judged from its bytes, never from its name.

Brands rename files, save a web app's "Excel export" (really an HTML table), or upload a login
page their browser saved instead of the file. `sniff` tells the reader which parser to use, or
rejects the file with a message naming what it actually is and what to do, so a brand never
sees "the CSV file has no header row" for a PDF.

Rules (signatures from each format's specification; checked in this order):

- ZIP (`PK\\x03\\x04`): an Excel workbook (entries under `xl/`: xlsx/xlsm/xlsb)
  or an OpenDocument spreadsheet (`mimetype` = `application/vnd.oasis.opendocument.spreadsheet`)
  goes to the Excel reader; Apple Numbers (`Index/*.iwa`), Word (`word/`), PowerPoint (`ppt/`)
  and other zip archives are rejected by name. A zip whose directory cannot be read also goes
  to the Excel reader, which reports the damage.
- OLE2 compound file (`D0 CF 11 E0`): legacy .xls goes to the Excel reader; a password-protected
  Office file (stream `EncryptedPackage`) and a Word .doc (stream `WordDocument`) are rejected.
- PDF, PNG, JPEG, GIF, WebP, gzip, 7-Zip, RAR, RTF: rejected by their magic bytes.
- Text whose first character (after a byte order mark and blanks) is `<`: XML Spreadsheet 2003
  (`urn:schemas-microsoft-com:office:spreadsheet`), HTML, or other XML; rejected.
- NUL bytes making more than 1 % of the first 4 KiB of a file that is not UTF-16: binary,
  rejected (a few stray NULs in a CSV are removed by the reader, cell by cell).
- Anything else is text: the CSV reader.
"""

from __future__ import annotations

import codecs
import enum
import io
import zipfile
from typing import NoReturn

from briskk_pipeline.ingest.text import utf16_codec
from briskk_pipeline.validation.report import FileRejected, file_problem

_SAVE_AS = "open it in Excel and save it as .xlsx (or 'CSV UTF-8'), then upload that file"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_XML_SPREADSHEET_NS = "urn:schemas-microsoft-com:office:spreadsheet"

# (magic prefix, what the file is, what to do)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", "export the sheet from Excel as .xlsx or CSV instead of PDF"),
    (b"\x89PNG\r\n\x1a\n", "an image (PNG)", "upload the spreadsheet itself, not a picture"),
    (b"\xff\xd8\xff", "an image (JPEG)", "upload the spreadsheet itself, not a picture"),
    (b"GIF87a", "an image (GIF)", "upload the spreadsheet itself, not a picture"),
    (b"GIF89a", "an image (GIF)", "upload the spreadsheet itself, not a picture"),
    (b"\x1f\x8b", "a gzip archive", "unpack it and upload the .xlsx or .csv inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and upload the .xlsx or .csv inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it and upload the .xlsx or .csv inside"),
    (b"{\\rtf", "a rich-text (RTF) document", _SAVE_AS),
)


class Kind(enum.Enum):
    """Which reader an upload goes to."""

    EXCEL = "excel"  # xlsx/xlsm/xlsb/xls/ods: fastexcel (calamine)
    TEXT = "text"  # CSV or tab-separated text, any supported encoding


def sniff(data: bytes) -> Kind:
    """The reader for `data` (non-empty), or `FileRejected` naming what the file really is."""
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data)
        return Kind.EXCEL
    if data.startswith(_OLE_MAGIC):
        _check_ole(data)
        return Kind.EXCEL
    for magic, what, todo in _MAGIC:
        if data.startswith(magic):
            _reject(what, todo)
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        _reject("an image (WebP)", "upload the spreadsheet itself, not a picture")
    head = _text_head(data)
    if head is None:
        _reject("a binary file", _SAVE_AS)
    _check_markup(head)
    return Kind.TEXT


def _reject(what: str, todo: str) -> NoReturn:
    raise FileRejected([file_problem(f"this file is {what}, not a spreadsheet: {todo}")])


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, zipfile.LargeZipFile):
        return  # damaged: the Excel reader says how
    if any(n.startswith("xl/") for n in names):  # xlsx/xlsm/xlsb, even if damaged
        return
    if mimetype.strip() == _ODS_MIMETYPE:
        return
    if any(n.endswith(".iwa") for n in names):
        _reject(
            "an Apple Numbers document",
            "in Numbers choose File > Export To > Excel, then upload the .xlsx file",
        )
    if any(n.startswith("word/") for n in names):
        _reject("a Word document", "put the rows in the Excel template and upload that")
    if any(n.startswith("ppt/") for n in names):
        _reject("a PowerPoint presentation", "put the rows in the Excel template and upload that")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        what = mimetype.decode("ascii", "replace").rsplit(".", 1)[-1]
        _reject(f"an OpenDocument {what} file", _SAVE_AS)
    inside = ", ".join(n for n in names[:5] if not n.endswith("/"))
    _reject(
        f"a zip archive ({inside or 'empty'})",
        "unzip it and upload the .xlsx or .csv file inside",
    )


def _check_ole(data: bytes) -> None:
    # OLE2 directory entries hold stream names in UTF-16 LE (MS-CFB §2.6).
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise FileRejected(
            [
                file_problem(
                    "this Excel file is protected with a password, so it cannot be read: "
                    "remove the password (File > Info > Protect Workbook > Encrypt with "
                    "Password, clear it), save, and upload again"
                )
            ]
        )
    if "WordDocument".encode("utf-16-le") in data:
        _reject("a Word document", "put the rows in the Excel template and upload that")


def _text_head(data: bytes) -> str | None:
    """The first ~1000 characters as text, or None when the bytes are binary (NULs, no UTF-16)."""
    head = data[:4096]
    codec = utf16_codec(head)
    if codec is not None:
        bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
        body = head[len(bom) :] if head.startswith(bom) else head
        return body[: len(body) // 2 * 2].decode(codec, "replace")[:1000]
    if head.count(b"\x00") * 100 > len(head):  # stray NULs are a text's damage, many a binary's
        return None
    return head.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace")[:1000]


def _check_markup(head: str) -> None:
    stripped = head.lstrip()
    if not stripped.startswith("<"):
        return
    lowered = stripped.lower()
    if _XML_SPREADSHEET_NS in lowered:
        _reject("an 'XML Spreadsheet 2003' file", _SAVE_AS)
    if any(tag in lowered for tag in ("<html", "<!doctype html", "<table", "<body", "<head")):
        _reject(
            "a web page (HTML)",
            "if a website gave it to you as an Excel export, " + _SAVE_AS + "; "
            "if it is a login or error page, download the real file again",
        )
    _reject("an XML document", _SAVE_AS)
