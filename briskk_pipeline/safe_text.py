"""Brand text made safe for the places that refuse some characters (Hardening issue 20).

Measured with openpyxl 3.1, psycopg2 and the standard `json` module:

- **openpyxl** raises `IllegalCharacterError` for the C0 controls other than tab, LF and CR
  (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F) and cannot encode a lone surrogate
  (U+D800–U+DFFF) when it saves; XML 1.0 also forbids U+FFFE and U+FFFF. C1 controls
  (U+0080–U+009F) and DEL are written as character references and read back unchanged.
  Excel decodes `_xHHHH_` in cell text (OOXML's escape for characters XML cannot hold), so a
  brand's literal `_x0041_` would show as `A`: its underscore is written `_x005F_`.
- **PostgreSQL** refuses NUL in text (`ValueError: A string literal cannot contain NUL`) and
  a lone surrogate cannot be encoded as UTF-8.
- **JSON** (`json.dumps(ensure_ascii=False)` then UTF-8) cannot encode a lone surrogate.

Each refused character becomes a visible escape (`\\x00`, `\\ud800`), so the brand sees
where it was; every other character is kept as it is.
"""

from __future__ import annotations

import re
from typing import Final

# Characters openpyxl / XML 1.0 refuse (tab, LF, CR are allowed).
_XML_REFUSED: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# OOXML's escape sequence, which Excel decodes when it reads cell text.
_OOXML_ESCAPE: Final = re.compile("_(x[0-9A-Fa-f]{4}_)")
# Characters PostgreSQL text and UTF-8 JSON refuse.
_DATABASE_REFUSED: Final = re.compile("[\x00\ud800-\udfff]")


def visible_escape(char: str) -> str:
    """`'\\x00'` -> the four characters `\\x00`; `'\\ud800'` -> `\\ud800` (six)."""
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_workbook(text: str) -> str:
    """`text` as a cell or comment of a workbook written with openpyxl: characters XML
    refuses become visible escapes, a literal `_xHHHH_` keeps showing as typed in Excel."""
    text = _XML_REFUSED.sub(lambda m: visible_escape(m.group()), text)
    return _OOXML_ESCAPE.sub(r"_x005F_\1", text) if "_x" in text else text


def for_database(text: str) -> str:
    """`text` as PostgreSQL text and UTF-8 JSON take it: NUL and lone surrogates become
    visible escapes."""
    return _DATABASE_REFUSED.sub(lambda m: visible_escape(m.group()), text)
