"""Characters a brand cannot see or did not mean: invisible marks and non-ASCII digits.

Pure functions on one string each. They are called only on the rare cells that are not plain
ASCII (callers mask with pyarrow's `string_is_ascii` first), so the Python cost stays with the
few cells that need it.

- **Invisible characters**: every Unicode "format" character (category Cf: zero-width space
  U+200B, zero-width non-joiner/joiner U+200C/U+200D, word joiner U+2060, byte order mark
  U+FEFF, soft hyphen U+00AD, bidirectional marks, ...), the combining grapheme joiner U+034F,
  and the no-break spaces U+00A0, U+2007, U+202F. They come from copying out of web pages,
  PDFs and chat apps; in an identifier they make a look-alike that is not equal to the real one.
- **Digits**: every Unicode decimal digit (category Nd: full-width ０-９, Arabic-Indic ٠-٩,
  Extended Arabic-Indic ۰-۹, Devanagari ०-९, Bengali, ...) is the ASCII digit of the same value
  (`unicodedata.decimal`). NFKC alone maps full-width digits but not Arabic-Indic or
  Devanagari ones, hence the table.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Final

_NO_BREAK_SPACES: Final = frozenset({"\u00a0", "\u2007", "\u202f"})
_ALSO_INVISIBLE: Final = frozenset({"\u034f"})  # combining grapheme joiner (category Mn)
# Characters that are written as a space or a sign in numbers typed by hand or pasted.
_NUMBER_PUNCTUATION: Final[dict[int, str]] = {
    0x2212: "-",  # minus sign
    0xFF0B: "+",  # full-width plus
    0xFF0D: "-",  # full-width hyphen-minus
    0xFF0E: ".",  # full-width full stop
    0xFF0C: ",",  # full-width comma
    0x066B: ".",  # Arabic decimal separator
    0x066C: ",",  # Arabic thousands separator
    0x00A0: " ",  # no-break space
    0x2007: " ",  # figure space
    0x2009: " ",  # thin space
    0x202F: " ",  # narrow no-break space
}


def is_invisible(char: str) -> bool:
    """True for a character that shows as nothing (see the module docstring for the set)."""
    return unicodedata.category(char) == "Cf" or char in _NO_BREAK_SPACES or char in _ALSO_INVISIBLE


def invisible_in(text: str) -> list[str]:
    """The distinct invisible characters of `text`, in order of first appearance."""
    found: dict[str, None] = {}
    for char in text:
        if char not in found and is_invisible(char):
            found[char] = None
    return list(found)


def remove_invisible(text: str) -> str:
    """`text` without its invisible characters (nothing else changes)."""
    return "".join(char for char in text if not is_invisible(char))


def describe(char: str) -> str:
    """`'\\u200b'` -> `'zero width space'`: the character's Unicode name, in lower case."""
    return unicodedata.name(char, f"U+{ord(char):04X}").lower()


def show_invisible(text: str) -> str:
    """`'SKU\\u200b1'` (one hidden character) -> the visible text `SKU\\u200b1` (7 characters).

    Invisible characters become backslash escapes so a brand can see where they were; every
    other character, ASCII or not, is shown as it is.
    """
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}") if is_invisible(c) else c
        for c in text
    )


@cache
def _digit_table() -> dict[int, str]:
    # Every Nd digit lies below U+20000 (Unicode 15/16); scanning that range takes ~20 ms once.
    table: dict[int, str] = {}
    for code in range(0x80, 0x20000):
        char = chr(code)
        if unicodedata.category(char) == "Nd":
            table[code] = str(unicodedata.decimal(char))
    return table


@cache
def _number_table() -> dict[int, str]:
    return {**_digit_table(), **_NUMBER_PUNCTUATION}


def ascii_digits(text: str) -> str:
    """Every Unicode decimal digit of `text` as its ASCII digit: `'१२९९'` -> `'1299'`."""
    return text.translate(_digit_table())


def number_text(text: str) -> str:
    """A typed number's text with ASCII digits, signs, separators and plain spaces.

    Unicode digits become ASCII digits; the minus sign, full-width `+ - . ,` and the Arabic
    decimal/thousands separators become their ASCII forms; no-break and thin spaces become a
    plain space; other invisible characters are removed. Nothing else is touched: NFKC is not
    applied, because it would read a superscript `²` as `2` ("5²" as 52) — such a cell stays
    not-a-number and is reported.
    """
    return remove_invisible(text.translate(_number_table()))


def identifier_text(text: str) -> str:
    """An identifier as it should be stored: no invisible characters, NFKC, ASCII digits.

    `'ＳＫＵ－１'` -> `'SKU-1'`, `'SKU\\u200b1'` -> `'SKU1'`, `'P-١٢'` -> `'P-12'`; surrounding
    spaces left by a removed character are trimmed. NFKC (Unicode normalization form KC) folds
    full-width and compatibility forms into the characters they stand for.
    """
    cleaned = unicodedata.normalize("NFKC", remove_invisible(text))
    return ascii_digits(cleaned).strip()
