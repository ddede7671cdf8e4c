"""Showing a date cell the way Excel shows it, from the cell's number format.

When Excel turns a typed size such as `10-12` into a date, the brand sees `12-Oct` in the cell:
our message must quote that, not `2026-10-12 00:00:00`. Excel's number-format language
(ECMA-376 Part 1, §18.8.31 "numFmts") is rendered here for its date and time tokens only —
`yyyy yy mmmm mmm mm m dddd ddd dd d hh h ss AM/PM` plus literal text; colours, locale tags and
elapsed-time brackets are dropped. Built-in format ids are openpyxl's `BUILTIN_FORMATS`; format 14
(`mm-dd-yy`) is what Excel shows as the short date of the machine's locale, rendered `m/d/yyyy`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

DEFAULT_DATE_FORMAT: Final = "d-mmm-yyyy"  # when the cell's own format is unknown (ods/csv)
_SHORT_DATE_ID: Final = 14

_TOKEN_RE: Final = re.compile(
    r'"[^"]*"|\\.|\[[^\]]*\]|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|AM/PM|A/P|.',
    re.IGNORECASE,
)


def render(value: datetime, code: str | None) -> str:
    """`value` as Excel shows it under number format `code` (None: `DEFAULT_DATE_FORMAT`).

    >>> render(datetime(2026, 10, 12), "d-mmm")
    '12-Oct'
    """
    code = (code or DEFAULT_DATE_FORMAT).split(";")[0]
    tokens = [t for t in _TOKEN_RE.findall(code) if not t.startswith("[")]
    twelve_hour = any(t.upper() in ("AM/PM", "A/P") for t in tokens)
    out: list[str] = []
    for index, token in enumerate(tokens):
        lower = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif lower in ("m", "mm") and _is_minute(tokens, index):
            out.append(f"{value.minute:02d}" if lower == "mm" else str(value.minute))
        else:
            out.append(_field(value, token, lower, twelve_hour))
    return "".join(out)


def short_date_code(format_id: int, code: str | None) -> str | None:
    """The code to render for built-in format id 14, which Excel localises; else `code`."""
    return "m/d/yyyy" if format_id == _SHORT_DATE_ID else code


def _field(value: datetime, token: str, lower: str, twelve_hour: bool) -> str:
    hour12 = value.hour % 12 or 12
    fields = {
        "yyyy": f"{value.year:04d}",
        "yy": f"{value.year % 100:02d}",
        "mmmmm": value.strftime("%B")[0],
        "mmmm": value.strftime("%B"),
        "mmm": value.strftime("%b"),
        "mm": f"{value.month:02d}",
        "m": str(value.month),
        "dddd": value.strftime("%A"),
        "ddd": value.strftime("%a"),
        "dd": f"{value.day:02d}",
        "d": str(value.day),
        "hh": f"{hour12 if twelve_hour else value.hour:02d}",
        "h": str(hour12 if twelve_hour else value.hour),
        "ss": f"{value.second:02d}",
        "s": str(value.second),
        "am/pm": "AM" if value.hour < 12 else "PM",
        "a/p": "A" if value.hour < 12 else "P",
    }
    return fields.get(lower, token)


def _is_minute(tokens: list[str], index: int) -> bool:
    """`m`/`mm` mean minutes right after an hour or right before seconds (Excel's rule)."""
    for step, wanted in ((-1, ("h", "hh")), (1, ("s", "ss"))):
        j = index + step
        while 0 <= j < len(tokens):
            lower = tokens[j].lower()
            if lower.isalpha():  # the nearest date/time token on that side decides
                if lower in wanted:
                    return True
                break
            j += step
    return False
