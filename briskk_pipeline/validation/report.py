"""Problems found in an upload, in words a brand understands, and the file-level rejection.

A `Problem` names the Excel row (header = row 1; CSV likewise), the column, the value as the
brand sent it, and a plain message. File-level problems have `row` None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

VALUE_QUOTE_LIMIT = 200  # characters of a value a problem quotes
MESSAGE_LIMIT = 600  # characters of a message (messages may quote other cells)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with `…` and the full length when cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


@dataclass(frozen=True)
class Problem:
    """One problem of one cell (or of the file when `row` is None), as a brand reads it.

    Values and messages are quoted at most `VALUE_QUOTE_LIMIT` / `MESSAGE_LIMIT` characters
    (a hostile cell must not grow every report, record and log line that names it).
    """

    row: int | None
    column: str | None
    value: str | None
    message: str

    def __post_init__(self) -> None:
        if self.value is not None and len(self.value) > VALUE_QUOTE_LIMIT:
            object.__setattr__(self, "value", shorten(self.value, VALUE_QUOTE_LIMIT))
        if len(self.message) > MESSAGE_LIMIT:
            object.__setattr__(self, "message", shorten(self.message, MESSAGE_LIMIT))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        if self.column:
            where += f", column {self.column}"
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}"


class FileRejected(Exception):
    """The whole file is rejected: nothing from it may reach the catalog."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def file_problem(message: str, column: str | None = None) -> Problem:
    return Problem(row=None, column=column, value=None, message=message)


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """One problem per (row, column), the first found; ordered by row then discovery order.

    Conversion problems are found before schema checks, so "is not a number" wins over the
    "is required" that the resulting null would otherwise also raise.
    """
    seen: set[tuple[int | None, str | None]] = set()
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.row, problem.column)
        if problem.row is not None and key in seen:
            continue
        seen.add(key)
        kept.append(problem)
    order = {id(p): i for i, p in enumerate(kept)}
    return sorted(kept, key=lambda p: (p.row is not None, p.row or 0, order[id(p)]))
