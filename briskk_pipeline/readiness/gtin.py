"""GTIN check digits (GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13), GTIN-14).

GS1 General Specifications, section 7.9 "Check digit calculation": from the right, the digits
before the check digit are weighted 3, 1, 3, 1 …; the check digit makes the weighted sum a
multiple of 10. A code whose check digit is wrong is never a real GTIN (a typo, or a number
Excel rounded), and Amazon validates GTINs against GS1 (issue 23, as quoted by integrators).
"""

from __future__ import annotations

from typing import Final

GTIN_LENGTHS: Final = (8, 12, 13, 14)


def check_digit(body: str) -> int:
    """The GS1 check digit of `body` (the GTIN's digits without the last one)."""
    backwards = body[::-1]
    total = 3 * sum(map(int, backwards[0::2])) + sum(map(int, backwards[1::2]))
    return (10 - total % 10) % 10


def gtin_problem(code: str) -> str | None:
    """Why `code` is not a valid GTIN, in words; None when it is one.

    `code` is the barcode as text (leading zeros kept). Not digits, a length other than 8, 12,
    13 or 14, or a wrong check digit each get their own message.
    """
    if not code.isascii() or not code.isdigit():
        return "is not a GTIN: a GTIN has digits only"
    if len(code) not in GTIN_LENGTHS:
        return (
            f"is not a GTIN: {len(code)} digits (a GTIN has 8, 12, 13 or 14: "
            "GTIN-8, UPC-A, EAN-13, GTIN-14)"
        )
    expected = check_digit(code[:-1])
    if int(code[-1]) != expected:
        return (
            f"is not a valid GTIN-{len(code)}: its check digit is {code[-1]} but the digits "
            f"before it give {expected} (GS1 check digit); a mistyped or rounded number"
        )
    return None


def is_gtin(code: str) -> bool:
    """True when `code` is a GTIN-8/12/13/14 with a correct check digit."""
    return gtin_problem(code) is None
