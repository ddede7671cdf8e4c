"""Decoding a CSV upload's bytes into text, as the program that wrote them meant them.

What Excel and other tools write (PITFALLS): "CSV UTF-8" is UTF-8 with a byte order mark;
"Unicode Text" is UTF-16 LE with a BOM (and tabs); plain "CSV" is Windows-1252 in western
locales; Google Sheets, Numbers and LibreOffice write UTF-8 without a BOM. The rules, in order:

1. UTF-8 BOM -> UTF-8. UTF-16 LE/BE BOM -> UTF-16. The file said what it is, so a byte that
   does not fit is a damaged file: `bad_byte` is set (the reader rejects it with its row and
   column).
2. No BOM, but every other byte of the start is NUL (ASCII text in UTF-16 written without a
   BOM, e.g. by some database exports) -> UTF-16 LE or BE, as rule 1.
3. Valid UTF-8 -> UTF-8 (plain ASCII is valid UTF-8).
4. Not valid UTF-8, but its well-formed UTF-8 letters are at least as many as the non-ASCII
   bytes outside them -> UTF-8 with damaged bytes (e.g. one cell pasted from a Windows-1252
   file): `bad_byte` is set. Reading it as Windows-1252 would turn every "é" into "Ã©".
5. Otherwise Windows-1252 (`encoding == WINDOWS_1252`: the reader adds a warning naming the
   first cell with a non-ASCII letter, so the brand can check it). The five bytes Windows-1252
   leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) mean the file is in some other encoding:
   `bad_byte` is set.

When `bad_byte` is set, `text` is the whole file with U+FFFD in place of each unreadable byte,
so the reader can still find the header and name the column of the first one.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

UTF_8 = "UTF-8"
UTF_16 = "UTF-16"
WINDOWS_1252 = "Windows-1252"

_UTF16_SAMPLE_BYTES = 200
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True)
class BadByte:
    """The first byte that cannot be read: its position in `DecodedText.text` and its value."""

    offset: int  # character offset into the decoded text (where U+FFFD stands)
    byte: int  # 0..255
    reason: str  # plain words, e.g. "is not valid UTF-8"


@dataclass(frozen=True)
class DecodedText:
    """A whole upload as text; `encoding` is one of UTF_8, UTF_16, WINDOWS_1252."""

    text: str
    encoding: str
    bad_byte: BadByte | None = None


def utf16_codec(data: bytes) -> str | None:
    """`utf-16-le`/`utf-16-be` when `data` starts as UTF-16 (BOM, or NULs in every other byte
    of the first 200 bytes as ASCII text has), else None. UTF-32 BOMs are not UTF-16."""
    if data.startswith(codecs.BOM_UTF32_LE):
        return None
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = data[:_UTF16_SAMPLE_BYTES]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) == len(odd) and 0 not in even:
        return "utf-16-le"
    if even.count(0) == len(even) and 0 not in odd:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> DecodedText:
    """Decode an upload by the rules in this module's docstring; never raises."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", UTF_8)
    codec = utf16_codec(data)
    if codec is not None:
        bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
        return _strict(data.removeprefix(bom), codec, UTF_16)
    try:
        return DecodedText(data.decode("utf-8"), UTF_8)
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        damaged = _strict(data, "utf-8", UTF_8)
        assert damaged.bad_byte is not None
        bad = BadByte(
            damaged.bad_byte.offset,
            damaged.bad_byte.byte,
            "is not valid UTF-8, although the rest of the file is (part of it was pasted or "
            "saved in another encoding)",
        )
        return DecodedText(damaged.text, UTF_8, bad)
    decoded = _strict(data, "cp1252", WINDOWS_1252)
    if decoded.bad_byte is None:
        return decoded
    bad = BadByte(
        decoded.bad_byte.offset,
        decoded.bad_byte.byte,
        "is not valid UTF-8 and means nothing in Windows-1252 either (Excel's plain 'CSV')",
    )
    return DecodedText(decoded.text, WINDOWS_1252, bad)


def _mostly_utf8(data: bytes) -> bool:
    """True when well-formed UTF-8 letters outnumber the bytes outside them: a UTF-8 file with
    a few stray bytes (e.g. one cell pasted from a Windows-1252 file), not Windows-1252 text,
    where a letter followed by the symbols that would make a UTF-8 sequence is rare."""
    letters = _UTF8_SEQUENCE.findall(data)
    stray = len(_NON_ASCII_BYTE.findall(data)) - sum(len(x) for x in letters)
    return len(letters) >= stray


def _strict(body: bytes, codec: str, name: str) -> DecodedText:
    try:
        return DecodedText(body.decode(codec), name)
    except UnicodeDecodeError as error:
        offset = len(body[: error.start].decode(codec))
        bad = BadByte(offset, body[error.start], f"is not valid {name}")
        return DecodedText(body.decode(codec, "replace"), name, bad)
